#!/bin/bash
# hostwatch against Debian's prometheus-node-exporter 1.5, the reference:
#  1. both on the same fixture tree (real files from kernel 6.18, copied onto a
#     fresh tmpfs so statfs values stand still), every sample compared;
#  2. both on this live host: the same series (values move between scrapes);
#  3. promtool check metrics: no finding but node_exporter's own camelCase
#     node_memory_* names.
. "$top_srcdir/tests/integration/lib.sh"

NE=${NODE_EXPORTER:-}
[ -n "$NE" ] || NE=$(command -v prometheus-node-exporter || true)
[ -x "$NE" ] || { echo "prometheus-node-exporter is required (apt-get install prometheus-node-exporter)"; exit 1; }
PT=${PROMTOOL:-}
[ -n "$PT" ] || PT=$(command -v promtool || true)
[ -x "$PT" ] || { echo "promtool is required (apt-get install prometheus)"; exit 1; }

COLLECTORS="cpu diskstats filesystem loadavg meminfo netdev os pressure stat time uname"
NE_FLAGS=(--collector.disable-defaults)
for c in $COLLECTORS; do NE_FLAGS+=(--collector.$c); done
: >"$TMP/empty.conf"

TREE="$TMP/tree"
mkdir -p "$TREE"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64m hw-test "$TREE" 2>/dev/null; then
	trap 'umount -l "$TREE" 2>/dev/null; cleanup' EXIT
else
	echo "# not root: fixture copied to $TREE on the host filesystem; statfs values may move"
fi
cp -a "$top_srcdir/tests/fixtures/kernel-6.18/." "$TREE/"

scrape_pair() { # name path-flags...
	local name=$1; shift
	spawn_on_port "$TMP/ne-$name.log" "address=127.0.0.1:@PORT@" \
		"$NE" --web.listen-address="127.0.0.1:@PORT@" "${NE_FLAGS[@]}" "$@" || return 1
	local p=$SPAWN_PORT ne_pid=$SPAWN_PID
	start_hostwatch "hw-$name" --config.file="$TMP/empty.conf" "${NE_FLAGS[@]}" "$@" || return 1
	wait_http "http://127.0.0.1:$p/metrics" || { echo "node_exporter did not start"; cat "$TMP/ne-$name.log"; return 1; }
	curl -s "http://127.0.0.1:$p/metrics" >"$TMP/ne-$name.txt"
	curl -s "$HW_URL/metrics" >"$TMP/hw-$name.txt"
	kill "$ne_pid" "$HW_PID"
}

echo "# 1. fixture tree: every sample"
# netdev reads netlink by default (the live kernel, whatever --path.procfs
# says); on the fixture tree both read its /proc/net/dev instead.
scrape_pair fixture --path.procfs="$TREE/proc" --path.sysfs="$TREE/sys" --path.rootfs="$TREE/root" \
	--no-collector.netdev.netlink || exit 1
if $PY "$top_srcdir/tests/integration/compare.py" "$TMP/ne-fixture.txt" "$TMP/hw-fixture.txt" >"$TMP/cmp-fixture.out"; then
	ok "fixture tree: $(tail -n1 "$TMP/cmp-fixture.out")"
else
	cat "$TMP/cmp-fixture.out"; not_ok "fixture tree: samples differ from node_exporter"
fi
for c in $COLLECTORS; do
	expect_eq "fixture tree: collector $c succeeds like node_exporter's" \
		"$(metric_value "$TMP/ne-fixture.txt" "node_scrape_collector_success{collector=\"$c\"}")" \
		"$(metric_value "$TMP/hw-fixture.txt" "node_scrape_collector_success{collector=\"$c\"}")"
done

echo "# 2. this host, live: the same series (netdev over netlink in both)"
scrape_pair live || exit 1
if $PY "$top_srcdir/tests/integration/compare.py" --series-only "$TMP/ne-live.txt" "$TMP/hw-live.txt" >"$TMP/cmp-live.out"; then
	ok "live host: $(tail -n1 "$TMP/cmp-live.out")"
else
	cat "$TMP/cmp-live.out"; not_ok "live host: series differ from node_exporter"
fi

echo "# 3. promtool check metrics"
for name in fixture live; do
	"$PT" check metrics <"$TMP/hw-$name.txt" >"$TMP/lint-$name.out" 2>&1
	# node_exporter itself gets exactly these: meminfo's kernel field names.
	grep -v "^node_memory_[A-Za-z0-9_]* metric names should be written in 'snake_case' not 'camelCase'$" \
		"$TMP/lint-$name.out" >"$TMP/lint-$name.rest"
	if [ -s "$TMP/lint-$name.rest" ]; then
		cat "$TMP/lint-$name.rest"; not_ok "promtool: $name output has other findings"
	else
		ok "promtool: $name output clean but for node_memory_* camelCase ($(wc -l <"$TMP/lint-$name.out") of those)"
	fi
	"$PT" check metrics <"$TMP/ne-$name.txt" 2>&1 | grep -v '^node_memory_' | grep -v '^go_\|^promhttp' >"$TMP/lint-ne-$name.rest"
done
finish
