# shellcheck shell=bash
# Config loading and URL parsing shared by scripts/*.sh. Source it; it defines functions only.

# env_load KEY DEFAULT: sets KEY from (1) the environment, (2) $REPO_ROOT/.env, (3) .env.example,
# (4) DEFAULT. A variable set in the environment wins even when empty (empty means "disabled").
# Files are parsed, never sourced: KEY=VALUE lines, optional surrounding quotes, # comments.
env_load() {
  local key=$1 default=${2-} file line value
  if [[ -n ${!key+x} ]]; then return 0; fi
  for file in "$REPO_ROOT/.env" "$REPO_ROOT/.env.example"; do
    [[ -f $file ]] || continue
    line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?${key}=" "$file" | tail -n 1 || true)
    [[ -n $line ]] || continue
    value=${line#*=}
    value=${value%$'\r'}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    printf -v "$key" '%s' "$value"
    export "${key?}"
    return 0
  done
  printf -v "$key" '%s' "$default"
  export "${key?}"
}

# parse_url URL PREFIX: sets PREFIX_SCHEME, PREFIX_USER, PREFIX_PASSWORD, PREFIX_HOST, PREFIX_PORT,
# PREFIX_PATH (without the leading slash, query string dropped). Returns 1 when URL does not parse.
parse_url() {
  local url=$1 p=$2 userinfo=""
  local re='^([a-z]+)://(([^@/]*)@)?(\[[^]]*\]|[^:/?]*)(:([0-9]+))?(/([^?]*))?'
  [[ $url =~ $re ]] || return 1
  printf -v "${p}_SCHEME" '%s' "${BASH_REMATCH[1]}"
  userinfo=${BASH_REMATCH[3]}
  printf -v "${p}_HOST" '%s' "${BASH_REMATCH[4]}"
  printf -v "${p}_PORT" '%s' "${BASH_REMATCH[6]}"
  printf -v "${p}_PATH" '%s' "${BASH_REMATCH[8]}"
  if [[ $userinfo == *:* ]]; then
    printf -v "${p}_USER" '%s' "${userinfo%%:*}"
    printf -v "${p}_PASSWORD" '%s' "${userinfo#*:}"
  else
    printf -v "${p}_USER" '%s' "$userinfo"
    printf -v "${p}_PASSWORD" '%s' ""
  fi
}

# is_local_host HOST: true for the loopback names this script can provision on.
is_local_host() {
  case $1 in 127.0.0.1 | localhost | ::1 | '[::1]') return 0 ;; *) return 1 ;; esac
}

# port_in_use PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
