# Shared by package_deb.sh and package_rpm.sh (sourced after lib.sh).

# The first pass of tools/check.sh builds the packages; the ASan pass would
# only build the same packages again (see HW_ONCE_TESTS in tools/check.sh).
once_only() {
	[ "${HW_ONCE_TESTS:-yes}" = no ] && { echo "SKIP: runs in the first pass only"; exit 77; }
	return 0
}

# need_tools TOOL...: every packaging tool the test runs. They are Debian
# packages tools/deps.sh installs, so a missing one fails the test.
need_tools() {
	local t missing=
	for t in "$@"; do command -v "$t" >/dev/null || missing="$missing $t"; done
	[ -z "$missing" ] && return 0
	not_ok "missing tools:$missing (run tools/deps.sh)"
	finish
}

# make_dist: a `make dist` tarball of top_srcdir, made in a private build
# directory ($TMP/dist) so the build directory `make check` uses is left
# alone. Sets DIST_TARBALL.
make_dist() {
	mkdir -p "$TMP/dist"
	if ! (cd "$TMP/dist" && "$top_srcdir/configure" -q >configure.out 2>&1 &&
		make -s dist >make-dist.out 2>&1); then
		not_ok "make dist in a private build directory"
		tail -n 20 "$TMP/dist/configure.out" "$TMP/dist/make-dist.out" 2>/dev/null
		finish
	fi
	DIST_TARBALL=$(ls "$TMP"/dist/hostwatch-*.tar.gz | head -n1)
	ok "make dist: $(basename "$DIST_TARBALL")"
}

# elapsed START: whole seconds since START (from `date +%s`).
elapsed() { echo $(($(date +%s) - $1)); }
