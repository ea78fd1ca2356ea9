#!/usr/bin/env bash
# Smoke test of the production split on the compose stack (EventStoreDB + MongoDB replica set +
# the API + apps/projector), from the repository root:
#
#   bash docker/smoke.sh            # KEEP=1 leaves the stack running afterwards
#
# 1. builds the image and brings the stack up with a throwaway master key, actors file and
#    project name (its own volumes: it never touches a stack you run yourself);
# 2. waits for the API's GET /health/ready (stores reachable, projections within their lag
#    bounds, the singleton lease held, the projector's heartbeat live);
# 3. runs the EventStoreDB and MongoDB contract suites from the host against the two servers;
# 4. runs one journey with curl: registers a purpose (API -> EventStoreDB), waits until the
#    projector has put it in MongoDB and the API reads it back, then checks readiness again;
# 5. tears the stack down with its volumes (unless KEEP=1).
# Needs Docker Engine with Compose v2, curl, openssl, Node 20 and `npm ci` done (for step 3).
# Exits non-zero at the first failing step, saying which.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PROJECT=${SMOKE_PROJECT:-custodian-smoke}
API=${SMOKE_API:-http://127.0.0.1:3000}
WORK=$(mktemp -d)
ACTORS="$ROOT/docker/actors.json"
ACTORS_BACKUP=""

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'SMOKE FAILED: %s\n' "$*" >&2; exit 1; }

compose() { docker compose -p "$PROJECT" -f docker/docker-compose.yml "$@"; }

cleanup() {
  status=$?
  if [ "$status" -ne 0 ]; then
    echo "--- last logs (api, projector) ---" >&2
    compose logs --no-color --tail 80 api projector >&2 || true
  fi
  if [ "${KEEP:-0}" != 1 ]; then compose down -v --remove-orphans >/dev/null 2>&1 || true; fi
  # The compose file mounts docker/actors.json: put back the operator's own, if there was one.
  if [ -n "$ACTORS_BACKUP" ]; then mv -f "$ACTORS_BACKUP" "$ACTORS"; else rm -f "$ACTORS"; fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

command -v docker >/dev/null || fail "docker is not installed"
docker compose version >/dev/null 2>&1 || fail "Docker Compose v2 ('docker compose') is missing"
command -v curl >/dev/null || fail "curl is not installed"
command -v openssl >/dev/null || fail "openssl is not installed"

step "throwaway master key and actors file"
export CUSTODIAN_MASTER_KEY
CUSTODIAN_MASTER_KEY=$(openssl rand -base64 32)
API_KEY=$(openssl rand -hex 32)
if [ -e "$ACTORS" ]; then
  ACTORS_BACKUP="$WORK/actors.json.mine"
  cp -p "$ACTORS" "$ACTORS_BACKUP"
fi
printf '{ "actors": [ { "id": "smoke-admin", "roles": ["admin"], "apiKey": "%s" } ] }\n' \
  "$API_KEY" >"$ACTORS"
chmod 600 "$ACTORS"
# The app runs as uid 1000 in the image and refuses an actors file it cannot own-read.
if [ "$(id -u)" != 1000 ]; then
  chown 1000 "$ACTORS" 2>/dev/null || sudo chown 1000 "$ACTORS" ||
    fail "docker/actors.json must be owned by uid 1000 (the image's node user)"
fi

step "build and start the stack (project $PROJECT)"
compose up -d --build --wait eventstore mongo || fail "EventStoreDB or MongoDB did not become healthy"
compose up -d --build api projector || fail "the API or the projector did not start"

step "wait for $API/health/ready"
ready=""
for _ in $(seq 1 90); do
  if curl -fsS "$API/health/ready" -o "$WORK/ready.json" 2>/dev/null; then ready=yes; break; fi
  sleep 2
done
[ -n "$ready" ] || { cat "$WORK/ready.json" 2>/dev/null || true; fail "/health/ready never answered 200"; }
grep -q '"singleton"' "$WORK/ready.json" || fail "/health/ready does not report the singleton lease"
echo "ready"

step "contract suites against EventStoreDB and MongoDB"
# Stop the app first: the projector must not read the suites' test events.
compose stop api projector
EVENTSTORE_CONNECTION_STRING='esdb://localhost:2113?tls=false' \
MONGODB_URI='mongodb://localhost:27017/?replicaSet=rs0&directConnection=true' \
  npx jest libs/event-store/src/eventstoredb/esdb-event-store.int.spec.ts \
    libs/read-store/src/mongodb libs/crypto/src/mongodb 2>&1 | tee "$WORK/contracts.txt"
grep -q 'Skipped:' "$WORK/contracts.txt" && fail "a contract suite was skipped (variables not seen)"
compose start api projector

step "journey: register a purpose, read it back through the projector"
for _ in $(seq 1 60); do
  curl -fsS "$API/health/ready" >/dev/null 2>&1 && break
  sleep 2
done
PURPOSE="smoke-$(date +%s)"
cat >"$WORK/purpose.json" <<JSON
{
  "purposeId": "$PURPOSE",
  "title": "Smoke test purpose",
  "description": "Registered by docker/smoke.sh",
  "legalBasis": "consent",
  "dataCategories": ["contact"],
  "retention": "P2Y",
  "recipients": ["mail-provider"],
  "allowedRoles": ["marketing", "service"],
  "flags": { "marketing": true, "profiling": false, "saleOrShare": false, "aiProcessing": false },
  "assessment": {
    "necessity": "We need an address to send the newsletter to",
    "minimumFields": ["email"],
    "retentionJustification": "Two years after the last consent, then erased",
    "access": "Marketing team only",
    "thirdParties": "Mail provider as processor",
    "withdrawal": "Unsubscribe link in every email",
    "mainRisk": "Unwanted email; mitigated by double opt-in"
  }
}
JSON
code=$(curl -sS -o "$WORK/created.json" -w '%{http_code}' -X POST "$API/v1/purposes" \
  -H "authorization: Bearer $API_KEY" -H 'content-type: application/json' \
  --data @"$WORK/purpose.json")
[ "$code" = 201 ] || { cat "$WORK/created.json"; fail "POST /v1/purposes answered $code, not 201"; }
found=""
for _ in $(seq 1 30); do
  code=$(curl -sS -o "$WORK/read.json" -w '%{http_code}' "$API/v1/purposes/$PURPOSE" \
    -H "authorization: Bearer $API_KEY")
  if [ "$code" = 200 ] && grep -q '"Smoke test purpose"' "$WORK/read.json"; then found=yes; break; fi
  sleep 1
done
[ -n "$found" ] || { cat "$WORK/read.json"; fail "the purpose never came back from the read model"; }
curl -fsS "$API/health/ready" >/dev/null || fail "not ready after the journey"
echo "journey ok"

step "smoke test passed"
