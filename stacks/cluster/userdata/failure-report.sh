# A command that fails stops the bootstrap (set -e). Say where, so the last
# bootstrap line in the console log (aws ec2 get-console-output) points at
# it; errtrace makes that line name the failing command inside a function
# too. Commands tested by if, until, || and && never trigger it.
set -o errtrace
trap 'log "FATAL: the bootstrap stopped at line ${LINENO} of its script (exit $?): ${BASH_COMMAND}"' ERR
