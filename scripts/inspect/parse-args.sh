# Shared option parsing of the inspect scripts; source it, define `usage`, then call
#   parse_inspect_args <script name> "$@"
# It sets: command_name (default `list`), filter (default `playtally`; empty with --all) and the
# array args (the remaining words). Exits 0 after --help, 2 on a bad option.
parse_inspect_args() {
  local script="$1"
  shift
  command_name=list
  filter=playtally
  args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      --filter) [ $# -ge 2 ] || { echo "$script: --filter needs a value" >&2; exit 2; }; filter="$2"; shift 2 ;;
      --filter=*) filter="${1#--filter=}"; shift ;;
      --all) filter=''; shift ;;
      -*) echo "$script: unknown option $1 (see --help)" >&2; exit 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  if [ ${#args[@]} -gt 0 ]; then command_name="${args[0]}"; args=("${args[@]:1}"); fi
}
