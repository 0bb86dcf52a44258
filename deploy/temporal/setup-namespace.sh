#!/bin/sh
# Create the namespace and register the contract's search attributes (idempotent).
set -eu
temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$TEMPORAL_NAMESPACE" --retention 30d
for pair in CaseStage=Keyword FieldOffice=Keyword CaseFinding=Keyword Detained=Bool \
            NextDeadline=Datetime AssignedReviewer=Keyword SubjectKey=Keyword; do
  name=${pair%%=*}
  type=${pair#*=}
  temporal operator search-attribute create -n "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" \
    || temporal operator search-attribute list -n "$TEMPORAL_NAMESPACE" | grep -q "$name"
done
