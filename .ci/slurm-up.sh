#!/usr/bin/env bash
# Start a real one-node SLURM cluster on this machine (Debian's slurm-wlm 22.05 with slurmdbd
# accounting on MariaDB, authenticated by munge), for the cluster test. Needs root.
# Every daemon's PID goes to $SLURM_CI_DIR/pids; slurm-down.sh stops them by PID.
set -euo pipefail
SLURM_CI_DIR=${SLURM_CI_DIR:-/tmp/slurm-ci}
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048 ))
mkdir -p "$SLURM_CI_DIR"
: > "$SLURM_CI_DIR/pids"

if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null || ! command -v mariadbd >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d 101: the packages' scripts must not try to start services (no init system here).
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends slurm-wlm slurmdbd munge mariadb-server >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  for _ in $(seq "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "slurm-up: $what did not come up in ${limit}s" >&2; return 1
}

# munge: one key, one daemon.
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 700 /etc/munge && chmod 400 /etc/munge/munge.key
runuser -u munge -- munged --force
wait_for 10 munged test -S /run/munge/munge.socket.2
pgrep -x munged >> "$SLURM_CI_DIR/pids"

# MariaDB for slurmdbd's accounting.
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
[ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
mariadbd --user=mysql --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock --skip-networking=0 \
  --bind-address=127.0.0.1 --pid-file=/run/mysqld/mysqld.pid >"$SLURM_CI_DIR/mariadb.log" 2>&1 &
echo $! >> "$SLURM_CI_DIR/pids"
wait_for 30 mariadb mariadb -uroot -e "select 1"
mariadb -uroot -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmci';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurmci
StorageLoc=slurm_acct_db
LogFile=$SLURM_CI_DIR/slurmdbd.log
PidFile=$SLURM_CI_DIR/slurmdbd.pid
CONF
chmod 600 /etc/slurm/slurmdbd.conf

cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$SLURM_CI_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_CI_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_CI_DIR/slurmctld.log
SlurmdLogFile=$SLURM_CI_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageEnforce=associations
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
EnforcePartLimits=ALL
MinJobAge=300
KillWait=5
ReturnToService=2
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

slurmdbd
wait_for 30 slurmdbd sacctmgr -n list cluster
cat "$SLURM_CI_DIR/slurmdbd.pid" >> "$SLURM_CI_DIR/pids"
sacctmgr -i add cluster ci >/dev/null || true
sacctmgr -i add account ci Cluster=ci Description=ci Organization=ci >/dev/null || true
sacctmgr -i add user root Account=ci Cluster=ci >/dev/null || true

slurmctld
wait_for 30 slurmctld scontrol ping
cat "$SLURM_CI_DIR/slurmctld.pid" >> "$SLURM_CI_DIR/pids"
slurmd
wait_for 30 "an idle node" bash -c "sinfo -h -o %T | grep -q idle"
cat "$SLURM_CI_DIR/slurmd.pid" >> "$SLURM_CI_DIR/pids"
echo "slurm-up: cluster 'ci' is up: node $HOST ($CPUS CPUs, $MEM_MB MB), partition debug, account ci"
