#!/usr/bin/env bash
# Stop what slurm-up.sh started, by the PIDs it recorded.
SLURM_CI_DIR=${SLURM_CI_DIR:-/tmp/slurm-ci}
[ -f "$SLURM_CI_DIR/pids" ] || exit 0
tac "$SLURM_CI_DIR/pids" | while read -r pid; do
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
done
sleep 2
tac "$SLURM_CI_DIR/pids" | while read -r pid; do
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
done
rm -f "$SLURM_CI_DIR/pids"
exit 0
