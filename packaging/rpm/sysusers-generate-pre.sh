#!/bin/bash
# TEST-ONLY (see macros.systemd-debian): turns sysusers.d(5) files into
# the %pre lines Fedora's sysusers.generate-pre.sh (systemd package)
# produces for %sysusers_create_compat: groupadd/useradd guarded by getent,
# for `u`, `g` and `m` lines. Other line types and comments are skipped.
set -eu

group() { # name gid
	if [ "$2" = - ]; then
		echo "getent group '$1' >/dev/null || groupadd -r '$1' || :"
	else
		echo "getent group '$1' >/dev/null || groupadd -f -g '$2' -r '$1' || :"
	fi
}

user() { # name uid description home shell
	local home=$4 shell=$5 desc=$3
	[ "$desc" = - ] && desc=
	case $home in - | '') home=/ ;; esac
	case $shell in - | '') shell=/usr/sbin/nologin ;; esac
	if [ "$2" = - ]; then
		echo "getent passwd '$1' >/dev/null || useradd -r -g '$1' -d '$home' -s '$shell' -c '$desc' '$1' || :"
	else
		echo "getent passwd '$1' >/dev/null || useradd -r -u '$2' -g '$1' -d '$home' -s '$shell' -c '$desc' '$1' || :"
	fi
}

for f in "$@"; do
	echo "# generated from $(basename "$f")"
	while read -r line || [ -n "$line" ]; do
		case $line in '' | '#'* | ';'*) continue ;; esac
		# sysusers.d quotes fields like a shell would.
		eval "set -- $line"
		case $1 in
		u) group "$2" "${3:--}"; user "$2" "${3:--}" "${4:--}" "${5:--}" "${6:--}" ;;
		g) group "$2" "${3:--}" ;;
		m) group "$3" -
		   echo "getent group '$3' >/dev/null && usermod -a -G '$3' '$2' || :" ;;
		esac
	done <"$f"
done
