# bash completion for tinyfleetctl                        -*- shell-script -*-
#
# The commands, their subcommands and their options come from
# `tinyfleetctl --help` itself (read once per shell), so the completion never
# falls behind the program. The help lists each command on a line indented by
# two spaces, "  model run FILE (--input RAW | --random SEED) [--json]", options
# that do not fit continue on lines that start with "[" further in, and the
# daemon commands share --socket PATH.
# Installed as $(datadir)/bash-completion/completions/tinyfleetctl.

# Sets _tinyfleetctl_help (once per shell: call it outside $(...)).
_tinyfleetctl_load()
{
	if [[ -z ${_tinyfleetctl_help-} ]]; then
		_tinyfleetctl_help=$("${1:-tinyfleetctl}" --help 2>&1)
	fi
}

# One line per command: "group [sub] ARGS... [--options]".
_tinyfleetctl_commands()
{
	printf '%s\n' "$_tinyfleetctl_help" | awk '
		/^  [a-z]/ { if (cmd != "") print cmd; cmd = substr($0, 3); next }
		/^   +\[/ && cmd != "" { sub(/^ +/, " "); cmd = cmd $0; next }
		{ if (cmd != "") print cmd; cmd = "" }
		END { if (cmd != "") print cmd }'
}

_tinyfleetctl()
{
	local cur words cword
	if declare -F _init_completion >/dev/null; then
		# shellcheck disable=SC2034 # prev is set by _init_completion
		local prev
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi

	local lines line cmd="" sub="" i w
	_tinyfleetctl_load "${words[0]}"
	lines=$(_tinyfleetctl_commands)

	# The command and subcommand typed so far (words that are not options).
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ $w == --socket ]]; then
			((i++))
			continue
		fi
		[[ $w == -* ]] && continue
		if [[ -z $cmd ]]; then
			cmd=$w
		elif [[ -z $sub ]]; then
			sub=$w
		fi
	done

	# The control socket's path: a file name.
	if [[ ${words[cword - 1]} == --socket ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
	fi

	if [[ -z $cmd ]]; then
		local global="--help --version"
		[[ $_tinyfleetctl_help == *"[--socket PATH] COMMAND"* ]] && global+=" --socket"
		mapfile -t COMPREPLY < <(compgen -W "$global $(awk '{ print $1 }' <<<"$lines" | sort -u)" -- "$cur")
		return
	fi

	local subs
	subs=$(awk -v c="$cmd" '$1 == c && $2 ~ /^[a-z][a-z0-9-]*$/ { print $2 }' <<<"$lines" | sort -u)
	if [[ -z $sub && -n $subs && $cur != -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
		return
	fi

	# Options of this command line; anything else is completed as a file.
	[[ -z $subs ]] && sub=""
	line=$(awk -v c="$cmd" -v s="$sub" '$1 == c && ($2 == s || s == "") { print; exit }' <<<"$lines")
	if [[ $cur == -* ]]; then
		local opts
		opts=$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$line")
		# Every daemon command (all but the offline model tools) takes --socket.
		[[ $cmd != model && $_tinyfleetctl_help == *--socket* ]] && opts+=$'\n--socket'
		mapfile -t COMPREPLY < <(compgen -W "$(sort -u <<<"$opts")" -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	[[ $(type -t compopt) == builtin ]] && compopt -o filenames 2>/dev/null
	return 0
}
complete -F _tinyfleetctl tinyfleetctl
