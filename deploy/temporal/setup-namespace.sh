#!/bin/sh
# Wait for the cluster, create the namespace, register the contract's search attributes and
# create the Schedules. Idempotent: compose retries it on failure, and reruns change nothing.
# The Schedules match workflows/schedules.py (tests/test_deployment.py checks they agree).
set -eu
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -ge 60 ] && { echo "temporal at $TEMPORAL_ADDRESS is not serving" >&2; exit 1; }
  sleep 2
done
# The frontend checks every call's token: sign in as icr-scheduler (client credentials; the
# secret is hex, so it needs no URL encoding) and send the token with each command as gRPC
# metadata, not as an API key: the CLI switches TLS on for a key, and the frontend speaks plain
# gRPC inside this network.
token=$(wget -q -O - --post-data \
  "grant_type=client_credentials&client_id=$ICR_TEMPORAL_CLIENT_ID&client_secret=$ICR_TEMPORAL_CLIENT_SECRET" \
  "$ICR_TEMPORAL_TOKEN_URL" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "no token for $ICR_TEMPORAL_CLIENT_ID from $ICR_TEMPORAL_TOKEN_URL" >&2; exit 1; }
auth="authorization=Bearer $token"
temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" --grpc-meta "$auth" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$TEMPORAL_NAMESPACE" --retention 30d --grpc-meta "$auth"
for pair in CaseStage=Keyword FieldOffice=Keyword CaseFinding=Keyword Detained=Bool \
            NextDeadline=Datetime AssignedReviewer=Keyword SubjectKey=Keyword; do
  name=${pair%%=*}
  type=${pair#*=}
  temporal operator search-attribute create -n "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" \
      --grpc-meta "$auth" \
    || temporal operator search-attribute list -n "$TEMPORAL_NAMESPACE" --grpc-meta "$auth" \
      | grep -q "$name"
done
# schedule ID, workflow type, calendar (UTC)
while read -r id type calendar; do
  temporal schedule describe -n "$TEMPORAL_NAMESPACE" --schedule-id "$id" --grpc-meta "$auth" \
      >/dev/null 2>&1 \
    || temporal schedule create -n "$TEMPORAL_NAMESPACE" --schedule-id "$id" \
         --workflow-id "$id" --type "$type" --task-queue "$ICR_TASK_QUEUE" \
         --calendar "$calendar" --overlap-policy Skip --catchup-window 6h --grpc-meta "$auth"
done <<SCHEDULES
icr-daily-reminder-round ReminderRoundWorkflow {"hour":"7","minute":"0"}
icr-daily-backlog-report BacklogReportWorkflow {"hour":"6","minute":"30"}
SCHEDULES
