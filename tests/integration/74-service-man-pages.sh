#!/usr/bin/env bash
# The man pages render with `man -l` without a single groff warning (what
# lintian checks too), and they say what the programs do: every option in a
# program's --help is in its page and every option the page's OPTIONS lists
# is in --help; every tinyfleetctl command in --help is in tinyfleetctl(1);
# every [section] and key of config/tinyfleetd.conf is in tinyfleetd.conf(5),
# and tinyfleetd accepts that file. The bash completion offers every
# tinyfleetctl command.
# shellcheck source=tests/integration/lib.sh
. "$TF_ROOT/tests/integration/lib.sh"
unset MAKEFLAGS MFLAGS MAKELEVEL

command -v man >/dev/null || tf_fail "man missing: run 'make deps' (man-db)"
make --no-print-directory -C "$TF_ROOT" B="$TF_BUILD" man >"$TF_WORK/man.log" 2>&1 ||
	{ cat "$TF_WORK/man.log"; tf_fail "make man failed"; }
man_dir="$TF_BUILD/man"

# Plain text of a page: no hyphenation or adjustment tricks, one long line
# per paragraph, so a word search finds every option.
render() { MANWIDTH=250 MAN_KEEP_FORMATTING=0 man -l -Tascii "$1" 2>/dev/null | col -bx; }

missing=()
pages=(man8/tinyfleetd.8 man5/tinyfleetd.conf.5 man1/tinyfleetctl.1 man1/tinyfleet-node.1)
tf_log "man -l renders each page without warnings"
for p in "${pages[@]}"; do
	f="$man_dir/$p"
	if [ ! -f "$f" ]; then
		[ "$p" = man5/tinyfleetd.conf.5 ] && [ ! -f "$TF_ROOT/config/tinyfleetd.conf" ] &&
			{ missing+=("tinyfleetd.conf(5) (config/tinyfleetd.conf not written yet)"); continue; }
		tf_fail "$p was not built"
	fi
	warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
	[ -z "$warn" ] || tf_fail "$p: $warn"
	text=$(render "$f")
	for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
		grep -q "^$s" <<<"$text" || tf_fail "$p has no $s section"
	done
	echo "$p: $(wc -l <<<"$text") lines, no warnings"
done

# Options a --help text names: -x and --long-name words (not placeholders
# such as "-TAG...").
help_opts() {
	grep -oE '(^|[][ ,|(])(--[a-z][a-z0-9-]*|-[a-zA-Z])([^a-zA-Z0-9-]|$)' |
		sed -E 's/^[][ ,|(]//; s/[^a-zA-Z0-9-]$//' | sort -u
}
# The option terms of a page's OPTIONS section, one .TP term per line
# ("-c, --config file" gives "-c --config").
page_terms() {
	awk '/^OPTIONS/ { on = 1; next } /^[A-Z]/ { on = 0 } on' | grep -E '^ {7}-' |
		while IFS= read -r term; do
			grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' <<<"$term" | sed -E 's/^[ ,]//' | tr '\n' ' '
			echo
		done
}
in_help() { grep -qE -- "(^|[^a-zA-Z0-9-])$1([^a-zA-Z0-9-]|$)" "$2"; }

for prog in tinyfleetd:8 tinyfleetctl:1 tinyfleet-node:1; do
	name=${prog%%:*} sec=${prog##*:}
	bin="$TF_BUILD/$name"
	[ -x "$bin" ] || { missing+=("$name (not built yet)"); continue; }
	tf_log "$name --help against $name($sec)"
	"$bin" --help >"$TF_WORK/$name.help" 2>&1 || true
	[ -s "$TF_WORK/$name.help" ] || tf_fail "$name --help printed nothing"
	text=$(render "$man_dir/man$sec/$name.$sec")
	n=0
	while read -r opt; do
		[ -n "$opt" ] || continue
		n=$((n + 1))
		grep -qE -- "(^|[^a-zA-Z0-9-])$opt([^a-zA-Z0-9-]|$)" <<<"$text" ||
			tf_fail "$name --help has $opt, $name($sec) does not"
	done < <(help_opts <"$TF_WORK/$name.help")
	[ $n -gt 0 ] || tf_fail "found no options in $name --help"
	# Each option term of the page names at least one spelling --help knows
	# (--help and --version need not list themselves; 71-/72- run --version).
	while read -r -a term; do
		[ ${#term[@]} -gt 0 ] || continue
		case ${term[0]} in --help | -h | --version | -V) continue ;; esac
		ok=no
		for opt in "${term[@]}"; do in_help "$opt" "$TF_WORK/$name.help" && ok=yes; done
		[ $ok = yes ] || tf_fail "$name($sec) lists ${term[*]}, $name --help does not"
	done < <(page_terms <<<"$text")
	echo "$name: $n options in --help, all in $name($sec), and the page lists none that --help lacks"
done

# tinyfleetctl's commands: the help lists each on a line indented by exactly
# two spaces, "  group sub ARGS..."; each command (with its subcommand) is in
# the page, and the completion offers the group and then the subcommand.
if [ -x "$TF_BUILD/tinyfleetctl" ]; then
	tf_log "tinyfleetctl commands in tinyfleetctl(1) and the bash completion"
	text=$(render "$man_dir/man1/tinyfleetctl.1")
	cmds=$(sed -nE 's/^  ([a-z][a-z0-9-]*)( ([a-z][a-z0-9-]*))?( .*)?$/\1 \3/p' "$TF_WORK/tinyfleetctl.help" |
		sed 's/ *$//' | sort -u)
	[ -n "$cmds" ] || tf_fail "found no commands in tinyfleetctl --help"
	PATH="$TF_BUILD:$PATH"
	# shellcheck source=completion/tinyfleetctl.bash
	. "$TF_ROOT/completion/tinyfleetctl.bash"
	offers() { # offers WORD... : what the completion proposes for the last word
		COMP_WORDS=(tinyfleetctl "$@") COMP_CWORD=$# COMPREPLY=()
		_tinyfleetctl
		printf '%s\n' "${COMPREPLY[@]}"
	}
	while read -r group sub; do
		grep -qE "(^| )$group${sub:+ $sub}( |$)" <<<"$text" ||
			tf_fail "tinyfleetctl command '$group${sub:+ $sub}' is not in tinyfleetctl(1)"
		offers "${group:0:1}" | grep -qx "$group" || tf_fail "bash completion does not offer '$group'"
		if [ -n "$sub" ]; then
			offers "$group" "" | grep -qx "$sub" || tf_fail "bash completion does not offer '$group $sub'"
		fi
	done <<<"$cmds"
	echo "tinyfleetctl: $(wc -l <<<"$cmds") commands, all in the page and the completion"
fi

if [ -f "$TF_ROOT/config/tinyfleetd.conf" ]; then
	tf_log "config/tinyfleetd.conf against tinyfleetd.conf(5)"
	conf="$TF_ROOT/config/tinyfleetd.conf"
	text=$(render "$man_dir/man5/tinyfleetd.conf.5")
	# The file lists its keys commented out with their defaults ("#key = v";
	# "# text" is prose); "#[rule:x]" is a commented-out example section.
	# The page shows each [section] as a heading (3 spaces in) with its keys
	# below it, as terms or inside the example block.
	section='' n=0
	while IFS= read -r line; do
		if [[ "$line" =~ ^[#\;]?\[([a-z0-9_]+)(:[A-Za-z0-9_.-]+)?\] ]]; then
			section=${BASH_REMATCH[1]}
			grep -qE "^   \\[${section}[]:]" <<<"$text" || tf_fail "section [$section] is not in tinyfleetd.conf(5)"
		elif [[ "$line" =~ ^[#\;]?([a-z][a-z0-9_]*)\ *= ]] && [ -n "$section" ]; then
			key=${BASH_REMATCH[1]}
			awk -v s="$section" -v k="$key" '
				/^[A-Z]/ { on = 0 }
				/^   \[/ { on = index($0, "[" s "]") || index($0, "[" s ":"); next }
				on && $1 == k { found = 1 }
				END { exit !found }' <<<"$text" ||
				tf_fail "[$section] $key is not in tinyfleetd.conf(5) under [$section]"
			n=$((n + 1))
		fi
	done <"$conf"
	[ $n -gt 0 ] || tf_fail "found no keys in $conf"
	echo "tinyfleetd.conf(5): all $n keys of config/tinyfleetd.conf, each under its section"
	# The other way: the keys in daemon/config.c's own table ([mqtt], [alerts]
	# and [rule:*] are parsed elsewhere) are all in the shipped file, which the
	# page is made from.
	table=$(grep -oE 'K_[A-Z0-9]+\("[a-z_]+", "[a-z_]+"' "$TF_ROOT/daemon/config.c" 2>/dev/null |
		sed -E 's/.*\("([a-z_]+)", "([a-z_]+)"/\1 \2/' || true)
	m=0
	while read -r sec key; do
		[ -n "$key" ] || continue
		awk -v s="[$sec]" -v k="$key" '/^[#;]?\[/ { on = ($0 ~ "^[#;]?\\" s) } on && $0 ~ "^[#;]?" k " *=" { f = 1 } END { exit !f }' "$conf" ||
			tf_fail "daemon/config.c knows [$sec] $key, config/tinyfleetd.conf (and so tinyfleetd.conf(5)) does not"
		m=$((m + 1))
	done <<<"$table"
	echo "daemon/config.c: all $m keys of its table are in config/tinyfleetd.conf"
	if [ -x "$TF_BUILD/tinyfleetd" ]; then
		"$TF_BUILD/tinyfleetd" --check-config -c "$conf" >"$TF_WORK/check.log" 2>&1 ||
			{ cat "$TF_WORK/check.log"; tf_fail "tinyfleetd rejects the shipped config/tinyfleetd.conf"; }
	fi
fi

[ ${#missing[@]} -eq 0 ] || tf_skip "checked everything but: ${missing[*]}"
echo "ok"
