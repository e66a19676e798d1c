#!/usr/bin/env bash
# The referral loop end to end: Eastside (alice) refers a client to Safe Harbor Housing (dave),
# Harbor (carol) sees nothing, consent is revoked mid-flow, Eastside's compliance officer (erin)
# reads the accounting of disclosures.
# Usage: BASE=http://127.0.0.1:8000 PASSWORD=demo-password docs/examples/referrals.sh
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:8000}"
PASSWORD="${PASSWORD:-demo-password}"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
token() {
  curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$PASSWORD\"}" | json "d['access']"
}
ALICE=$(token alice); DAVE=$(token dave); CAROL=$(token carol); ERIN=$(token erin)
as() { local who=$1; shift; curl -s -H "Authorization: Bearer $who" -H 'Content-Type: application/json' "$@"; }

# 1. alice records a client and the client's consent to share identity + contact with the shelter.
CLIENT=$(as "$ALICE" -X POST "$BASE/api/v1/clients" \
  -d '{"identity": {"given_name": "Demo", "family_name": "Walkthrough"}, "contact": {"phone": "555-0199"}}' \
  | json "d['id']")
SHELTER=$(as "$ALICE" "$BASE/api/v1/agencies?page_size=100" \
  | json "[a['id'] for a in d['results'] if a['name'] == 'Safe Harbor Housing'][0]")
EXPIRES=$(python3 -c "import datetime as t; print((t.datetime.now(t.timezone.utc)+t.timedelta(days=90)).isoformat())")
CONSENT=$(as "$ALICE" -X POST "$BASE/api/v1/clients/$CLIENT/consents" -d "{
  \"recipient_agency_id\": \"$SHELTER\", \"categories\": [\"identity\", \"contact\"],
  \"purpose\": \"housing\", \"method\": \"written\", \"signed_by\": \"client\",
  \"signer_relationship\": \"self\", \"informed\": true, \"expires_at\": \"$EXPIRES\"}" | json "d['id']")

# 2. alice sends the referral. The Idempotency-Key makes a retry return the same referral.
BODY="{\"client_id\": \"$CLIENT\", \"recipient_agency_id\": \"$SHELTER\", \"consent_id\": \"$CONSENT\",
  \"service_type\": \"shelter\", \"priority\": \"urgent\", \"reason\": \"Needs a bed this week.\"}"
REFERRAL=$(as "$ALICE" -X POST "$BASE/api/v1/referrals" -H "Idempotency-Key: walk-$CLIENT" -d "$BODY" \
  | json "d['id']")
as "$ALICE" -X POST "$BASE/api/v1/referrals" -H "Idempotency-Key: walk-$CLIENT" -d "$BODY" \
  | json "'retry ->', d['id'] == '$REFERRAL', d['status']"                 # retry -> True requested

# 3. dave finds it in the inbox and reads it: only the consented categories, the rest withheld.
as "$DAVE" "$BASE/api/v1/referrals?box=inbox&status=requested" \
  | json "'inbox ->', '$REFERRAL' in [r['id'] for r in d['results']]"      # inbox -> True
as "$DAVE" "$BASE/api/v1/referrals/$REFERRAL" \
  | json "'dave sees ->', sorted(k for k in d['client'] if k != 'id'), 'withheld', d['withheld_categories']"

# 4. carol (Harbor, not a party) gets 404 for everything.
as "$CAROL" -o /dev/null -w 'carol -> %{http_code}\n' "$BASE/api/v1/referrals/$REFERRAL"

# 5. dave accepts (a stale version would be 409), then the agencies exchange a message.
as "$DAVE" -X POST "$BASE/api/v1/referrals/$REFERRAL/transitions" -d '{"to": "accepted", "version": 1}' \
  | json "'accepted ->', d['status'], 'version', d['version']"
as "$DAVE" -X POST "$BASE/api/v1/referrals/$REFERRAL/transitions" -d '{"to": "rejected"}' \
  | json "'illegal ->', d['code'], d['allowed']"
as "$DAVE" -X POST "$BASE/api/v1/referrals/$REFERRAL/messages" -d '{"body": "Bed 4 is ready."}' >/dev/null
as "$ALICE" "$BASE/api/v1/referrals/$REFERRAL/messages" | json "'message ->', d['results'][0]['body']"

# 6. The client withdraws consent: dave's next read shows the referral but no client fields,
#    and alice may not send more until a consent is in effect again.
as "$ALICE" -X POST "$BASE/api/v1/consents/$CONSENT/revoke" -d '{"reason": "Client asked."}' >/dev/null
as "$DAVE" "$BASE/api/v1/referrals/$REFERRAL" \
  | json "'after revoke ->', d['status'], sorted(k for k in d['client'] if k != 'id'), d['withheld_basis']"
as "$ALICE" -X POST "$BASE/api/v1/referrals/$REFERRAL/messages" -d '{"body": "One more thing."}' \
  | json "'sender message ->', d['code']"

# 6b. The client agrees again, to identity only: alice attaches the new consent to the referral.
RENEWED=$(as "$ALICE" -X POST "$BASE/api/v1/clients/$CLIENT/consents" -d "{
  \"recipient_agency_id\": \"$SHELTER\", \"categories\": [\"identity\"],
  \"purpose\": \"housing\", \"method\": \"written\", \"signed_by\": \"client\",
  \"signer_relationship\": \"self\", \"informed\": true, \"expires_at\": \"$EXPIRES\"}" | json "d['id']")
as "$ALICE" -X POST "$BASE/api/v1/referrals/$REFERRAL/consent" -d "{\"consent_id\": \"$RENEWED\"}" \
  | json "'attached ->', d['consent_id'] == '$RENEWED', d['version']"
as "$DAVE" "$BASE/api/v1/referrals/$REFERRAL" \
  | json "'after attach ->', sorted(k for k in d['client'] if k != 'id'), d['withheld_basis']"

# 7. The loop closes; the FHIR view and the accounting of disclosures.
as "$DAVE" -X POST "$BASE/api/v1/referrals/$REFERRAL/transitions" -d '{"to": "completed"}' \
  | json "'closed ->', d['status']"
as "$ALICE" "$BASE/api/v1/referrals/$REFERRAL/fhir" | json "'fhir ->', d['entry'][0]['resource']['status']"
as "$ERIN" "$BASE/api/v1/clients/$CLIENT/disclosures" \
  | json "'disclosures ->', [(r['recipient_agency']['name'], r['categories'], r['via']) for r in d['results']]"
