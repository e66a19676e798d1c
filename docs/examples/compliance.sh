#!/usr/bin/env bash
# Compliance officer: sign in -> search the trail -> verify the chain -> export -> verify offline.
# Usage: BASE=http://127.0.0.1:8000 USERNAME=erin PASSWORD=demo-password docs/examples/compliance.sh
# (Where MFA is required for compliance officers, add "otp" to the sign-in body.)
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:8000}"
PY="${PYTHON:-.venv/bin/python}"
OUT="${OUT:-$(mktemp -d)}"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

access=$(curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"username\": \"${USERNAME:-erin}\", \"password\": \"${PASSWORD:-demo-password}\"}" \
  | json "['access']")
auth=(-H "Authorization: Bearer $access")

# 1. Search: sign-ins involving your agency, newest first (cursor-paginated: follow "next").
curl -sf "$BASE/api/v1/audit/events?action=auth.login&page_size=5" "${auth[@]}" \
  | json "['results'][0]['action']"

# 2. Refused attempts (outcome=deny) in a time window.
curl -sf "$BASE/api/v1/audit/events?outcome=deny&from=2020-01-01T00:00:00Z" "${auth[@]}" \
  | json "['next'] is None"

# 3. Verify your agency's chain against the signed checkpoints.
curl -sf "$BASE/api/v1/audit/verify" "${auth[@]}" | json "['valid']"

# 4. Export (JSONL + covering checkpoint + signature) and fetch the public key.
curl -sf -X POST "$BASE/api/v1/audit/exports" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{}' -o "$OUT/export.jsonl"
curl -sf "$BASE/api/v1/audit/public-key" "${auth[@]}" | json "['public_key_pem']" \
  > "$OUT/audit-public-key.pem"

# 5. Verify the export offline: standard library + cryptography, no server, no database.
"$PY" -m audit.verify_export "$OUT/export.jsonl" --public-key "$OUT/audit-public-key.pem"
