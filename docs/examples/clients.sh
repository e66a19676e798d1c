#!/usr/bin/env bash
# Client records end to end: alice (caseworker) records a client, reads and updates it, finds it
# again by name + date of birth, carol (another agency) gets 404, sam (supervisor) erases it.
# Usage: BASE=http://127.0.0.1:8000 PASSWORD=demo-password docs/examples/clients.sh
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:8000}"
PASSWORD="${PASSWORD:-demo-password}"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
token() {
  curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$PASSWORD\"}" | json "d['access']"
}
ALICE=$(token alice); CAROL=$(token carol); SAM=$(token sam)
as() { local who=$1; shift; curl -s -H "Authorization: Bearer $who" -H 'Content-Type: application/json' "$@"; }

# 1. Record a client: fields nested by data category. A retry with the same key returns the same id.
BODY='{"identity": {"given_name": "Demo", "family_name": "Núñez", "date_of_birth": "1990-01-01"},
       "contact": {"phone": "555-0100", "safe_contact_instructions": "Text only."},
       "demographics": {"preferred_language": "es", "household_size": 3}}'
CLIENT=$(as "$ALICE" -X POST "$BASE/api/v1/clients" -H "Idempotency-Key: demo-client-$$" -d "$BODY" | json "d['id']")
as "$ALICE" -X POST "$BASE/api/v1/clients" -H "Idempotency-Key: demo-client-$$" -d "$BODY" \
  | json "'retry ->', d['id'] == '$CLIENT'"                                  # retry -> True

# 2. Read it (every category), then change one field of one category.
as "$ALICE" "$BASE/api/v1/clients/$CLIENT" | json "'read ->', d['identity']['family_name'], d['contact']['phone']"
as "$ALICE" -X PATCH "$BASE/api/v1/clients/$CLIENT" -d '{"contact": {"phone": "555-0111"}}' \
  | json "'patched ->', d['contact']['phone'], d['contact']['safe_contact_instructions']"

# 3. Duplicate check before recording someone: case, accents and spacing do not matter.
as "$ALICE" -X POST "$BASE/api/v1/clients/search" \
  -d '{"given_name": "  DEMO", "family_name": "nunez", "date_of_birth": "1990-01-01"}' \
  | json "'search ->', [r['id'] == '$CLIENT' for r in d['results']]"           # search -> [True]

# 4. Another agency cannot tell the client exists.
as "$CAROL" -o /dev/null -w 'carol -> %{http_code}\n' "$BASE/api/v1/clients/$CLIENT"

# 5. A supervisor erases the client (crypto-shredding): it reads as erased from then on.
as "$SAM" -X POST "$BASE/api/v1/clients/$CLIENT/erase" -d '{"confirm": true}' | json "'erase ->', d['erased']"
as "$ALICE" "$BASE/api/v1/clients/$CLIENT" | json "'after erase ->', d['erased'], 'identity' in d"
