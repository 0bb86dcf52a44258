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
temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$TEMPORAL_NAMESPACE" --retention 30d
for pair in CaseStage=Keyword FieldOffice=Keyword CaseFinding=Keyword Detained=Bool \
            NextDeadline=Datetime AssignedReviewer=Keyword SubjectKey=Keyword; do
  name=${pair%%=*}
  type=${pair#*=}
  temporal operator search-attribute create -n "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" \
    || temporal operator search-attribute list -n "$TEMPORAL_NAMESPACE" | grep -q "$name"
done
# schedule ID, workflow type, calendar (UTC)
while read -r id type calendar; do
  temporal schedule describe -n "$TEMPORAL_NAMESPACE" --schedule-id "$id" >/dev/null 2>&1 \
    || temporal schedule create -n "$TEMPORAL_NAMESPACE" --schedule-id "$id" \
         --workflow-id "$id" --type "$type" --task-queue "$ICR_TASK_QUEUE" \
         --calendar "$calendar" --overlap-policy Skip --catchup-window 6h
done <<SCHEDULES
icr-daily-reminder-round ReminderRoundWorkflow {"hour":"7","minute":"0"}
icr-daily-backlog-report BacklogReportWorkflow {"hour":"6","minute":"30"}
SCHEDULES
