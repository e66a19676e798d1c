#!/usr/bin/env bash
# Partner quickstart: token -> me -> agencies -> refresh -> sign out.
# Usage: BASE=http://127.0.0.1:8000 USERNAME=alice PASSWORD=demo-password docs/examples/quickstart.sh
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:8000}"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# 1. Sign in: a 5-minute access token and a rotating refresh token.
pair=$(curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"username\": \"${USERNAME:-alice}\", \"password\": \"${PASSWORD:-demo-password}\"}")
access=$(echo "$pair" | json "['access']")
refresh=$(echo "$pair" | json "['refresh']")

# 2. Who am I? Agency and role come from the server, never from the token.
curl -sf "$BASE/api/v1/me" -H "Authorization: Bearer $access" | json "['agency']['name']"

# 3. The directory, cursor-paginated: follow "next" until it is null.
page=$(curl -sf "$BASE/api/v1/agencies?page_size=2" -H "Authorization: Bearer $access")
echo "$page" | json "['results'][0]['name']"
next=$(echo "$page" | json "['next'] or ''")
[ -n "$next" ] && curl -sf "$next" -H "Authorization: Bearer $access" | json "['results'][0]['name']"

# 4. Errors are RFC 9457 problem+json with a stable code.
curl -s "$BASE/api/v1/agencies/00000000-0000-0000-0000-000000000000" \
  -H "Authorization: Bearer $access" | json "['code']"

# 5. Rotate the refresh token (the old one is now spent: presenting it again signs you out).
pair=$(curl -sf -X POST "$BASE/api/v1/auth/token/refresh" -H 'Content-Type: application/json' \
  -d "{\"refresh\": \"$refresh\"}")
refresh=$(echo "$pair" | json "['refresh']")

# 6. Sign out: revokes the refresh token's family and its access tokens.
curl -sf -o /dev/null -w '%{http_code}\n' -X POST "$BASE/api/v1/auth/token/revoke" \
  -H 'Content-Type: application/json' -d "{\"refresh\": \"$refresh\"}"
