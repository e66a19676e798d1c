#!/usr/bin/env bash
# Agency admin: invite a colleague -> they set a password and enrol MFA -> role, sessions,
# an integration's secret rotated and revoked -> deactivate. Every step is audited.
# Usage: BASE=http://127.0.0.1:8000 ADMIN=adam PASSWORD=demo-password docs/examples/admin.sh
# (An admin whose account has MFA adds "otp" to the sign-in body.)
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:8000}"
PY="${PYTHON:-.venv/bin/python}"
NEW_USER="${NEW_USER:-nina$RANDOM}"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -s -X POST "$BASE/api/v1/$1" -H 'Content-Type: application/json' "${@:2}"; }

# 1. Sign in as the agency admin.
admin=$(post auth/token -d "{\"username\": \"${ADMIN:-adam}\", \"password\": \"${PASSWORD:-demo-password}\"}" \
  | json "['access']")
auth=(-H "Authorization: Bearer $admin")

# 2. Invite a caseworker: the set-password token is shown once; hand it to them privately.
invite=$(post staff/users "${auth[@]}" -d "{\"username\": \"$NEW_USER\", \"role\": \"caseworker\"}")
user_id=$(echo "$invite" | json "['user']['id']")
token=$(echo "$invite" | json "['set_password_token']")
echo "invited -> $(echo "$invite" | json "['user']['password_set']")"

# 3. (The colleague) chooses a password with the token; it works once.
pw="a-long-passphrase-$RANDOM-$RANDOM"
post auth/password/set -o /dev/null -w 'password set -> %{http_code}\n' \
  -d "{\"token\": \"$token\", \"password\": \"$pw\"}"

# 4. (The colleague) signs in. Where their role requires MFA the answer is 202: a short-lived
#    enrolment token that can only enrol. They scan the otpauth:// URI into an authenticator
#    app and confirm with its current code (computed here with pyotp to stay runnable).
step=$(post auth/token -w '\n%{http_code}' -d "{\"username\": \"$NEW_USER\", \"password\": \"$pw\"}")
echo "sign-in -> $(echo "$step" | tail -1)"
enrol=(-H "Authorization: Bearer $(echo "$step" | head -1 | json "['enrolment_token']")")
uri=$(post auth/mfa/enroll "${enrol[@]}" -d '{}' | json "['otpauth_uri']")
code=$("$PY" -c 'import pyotp,sys; print(pyotp.parse_uri(sys.argv[1]).now())' "$uri")
done=$(post auth/mfa/confirm "${enrol[@]}" -d "{\"code\": \"$code\"}")
echo "recovery codes -> $(echo "$done" | json "['recovery_codes'].__len__()")"
colleague=(-H "Authorization: Bearer $(echo "$done" | json "['tokens']['access']")")

# 5. The colleague as you see them, and their sessions (one per sign-in).
enrolled=$(curl -sf "$BASE/api/v1/staff/users/$user_id" "${auth[@]}" | json "['mfa_enrolled']")
echo "enrolled -> $enrolled"
sessions=$(curl -sf "$BASE/api/v1/staff/users/$user_id/sessions" "${auth[@]}")
echo "sessions -> $(echo "$sessions" | json "['results'].__len__()")"

# 6. A new role applies on their next request.
post "staff/users/$user_id/role" "${auth[@]}" -d '{"role": "supervisor"}' | json "['role']"

# 7. An integration: create (secret once), rotate (the old secret keeps working for the grace
#    period, INTEGRATION_SECRET_GRACE_HOURS), revoke (nothing works any more).
made=$(post staff/integrations "${auth[@]}" -d '{"name": "Case system", "scopes": ["referrals:read"]}')
iid=$(echo "$made" | json "['id']"); cid=$(echo "$made" | json "['client_id']")
old=$(echo "$made" | json "['client_secret']")
new=$(post "staff/integrations/$iid/rotate-secret" "${auth[@]}" | json "['client_secret']")
grant() { post auth/client-token -o /dev/null -w '%{http_code}' -d "{\"client_id\": \"$cid\", \"client_secret\": \"$1\"}"; }
echo "after rotation -> old $(grant "$old") new $(grant "$new")"
post "staff/integrations/$iid/revoke" "${auth[@]}" -o /dev/null
echo "after revoke -> $(grant "$new")"

# 8. Deactivate: every session of theirs ends at once; their next request is 401.
post "staff/users/$user_id/deactivate" "${auth[@]}" | json "['is_active']"
curl -s -o /dev/null -w 'colleague -> %{http_code}\n' "$BASE/api/v1/me" "${colleague[@]}"
