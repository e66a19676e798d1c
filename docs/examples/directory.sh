#!/usr/bin/env bash
# Find the right program, know it has room, refer, and see outcomes without exposing survivors:
# alice (Eastside) finds an open restorative-justice program that speaks Spanish, checks it has
# room without sending any personal data, refers a client there (the deadline follows the
# priority), and her supervisor sam downloads the month's outcome report.
# Usage: BASE=http://127.0.0.1:8000 PASSWORD=demo-password docs/examples/directory.sh
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:8000}"
PASSWORD="${PASSWORD:-demo-password}"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
token() {
  curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$PASSWORD\"}" | json "d['access']"
}
ALICE=$(token alice); SAM=$(token sam)
as() { local who=$1; shift; curl -s -H "Authorization: Bearer $who" -H 'Content-Type: application/json' "$@"; }

# 1. Search the directory: restorative justice, in Spanish, taking referrals now.
FOUND=$(as "$ALICE" "$BASE/api/v1/programs?service_type=restorative_justice&language=es&accepting=true")
echo "$FOUND" | json "'found ->', [(p['name'], p['agency']['name'], p['capacity_status'], p['stale']) for p in d['results']]"
PROGRAM=$(echo "$FOUND" | json "d['results'][0]['id']")
AGENCY=$(echo "$FOUND" | json "d['results'][0]['agency_id']")

# 2. Ask whether it has room: service type, priority, language, household size. Nothing else.
as "$ALICE" -X POST "$BASE/api/v1/programs/$PROGRAM/availability" \
  -d '{"service_type": "restorative_justice", "priority": "urgent", "language": "es", "household_size": 2}' \
  | json "'pre-check ->', d['status'], [r['code'] for r in d['reasons']]"
# A name is refused (unknown field), and never stored or echoed.
as "$ALICE" -X POST "$BASE/api/v1/programs/$PROGRAM/availability" \
  -d '{"service_type": "restorative_justice", "given_name": "Maria"}' \
  | json "'identifier ->', d['status'], d['errors'][0]['field'], d['errors'][0]['code']"

# 3. Record the client and their consent to this agency, then refer: the deadline follows priority.
CLIENT=$(as "$ALICE" -X POST "$BASE/api/v1/clients" \
  -d '{"identity": {"given_name": "Demo", "family_name": "Conference"}}' | json "d['id']")
EXPIRES=$(python3 -c "import datetime as t; print((t.datetime.now(t.timezone.utc)+t.timedelta(days=90)).isoformat())")
CONSENT=$(as "$ALICE" -X POST "$BASE/api/v1/clients/$CLIENT/consents" -d "{
  \"recipient_agency_id\": \"$AGENCY\", \"categories\": [\"identity\"], \"purpose\": \"case_coordination\",
  \"method\": \"written\", \"signed_by\": \"client\", \"signer_relationship\": \"self\", \"informed\": true,
  \"expires_at\": \"$EXPIRES\"}" | json "d['id']")
as "$ALICE" -X POST "$BASE/api/v1/referrals" -d "{\"client_id\": \"$CLIENT\", \"recipient_agency_id\": \"$AGENCY\",
  \"program_id\": \"$PROGRAM\", \"consent_id\": \"$CONSENT\", \"service_type\": \"restorative_justice\",
  \"priority\": \"urgent\", \"reason\": \"Wants a facilitated conference.\"}" \
  | json "'referral ->', d['status'], d['priority'], round((__import__('datetime').datetime.fromisoformat(d['response_deadline'].replace('Z', '+00:00')) - __import__('datetime').datetime.now(__import__('datetime').timezone.utc)).total_seconds() / 3600), 'h to respond'"

# 4. Another client goes to a victim service provider's advocacy program this month.
VSP=$(as "$ALICE" "$BASE/api/v1/programs?service_type=victim_advocacy&accepting=true")
VSP_PROGRAM=$(echo "$VSP" | json "d['results'][0]['id']")
VSP_AGENCY=$(echo "$VSP" | json "d['results'][0]['agency_id']")
CLIENT2=$(as "$ALICE" -X POST "$BASE/api/v1/clients" \
  -d '{"identity": {"given_name": "Demo", "family_name": "Advocacy"}}' | json "d['id']")
CONSENT2=$(as "$ALICE" -X POST "$BASE/api/v1/clients/$CLIENT2/consents" -d "{
  \"recipient_agency_id\": \"$VSP_AGENCY\", \"categories\": [\"identity\"], \"purpose\": \"safety_planning\",
  \"method\": \"written\", \"signed_by\": \"client\", \"signer_relationship\": \"self\", \"informed\": true,
  \"expires_at\": \"$EXPIRES\"}" | json "d['id']")
as "$ALICE" -X POST "$BASE/api/v1/referrals" -d "{\"client_id\": \"$CLIENT2\", \"recipient_agency_id\": \"$VSP_AGENCY\",
  \"program_id\": \"$VSP_PROGRAM\", \"consent_id\": \"$CONSENT2\", \"service_type\": \"victim_advocacy\",
  \"priority\": \"stat\", \"reason\": \"Needs a safety plan today.\"}" | json "'vsp referral ->', d['status'], d['priority']"

# 5. The supervisor's outcome report for this month, as CSV: aggregates only. It counts a
#    referral to a victim service provider, so small counts read "<11" (here: all of them).
as "$SAM" "$BASE/api/v1/reports/referrals?format=csv" | grep -E '^(total|by_partner_agency)'
as "$SAM" "$BASE/api/v1/reports/referrals" | json "'suppression ->', d['suppression']['applied'], d['suppression']['reason']"
