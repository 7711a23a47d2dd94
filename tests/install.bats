#!/usr/bin/env bats
# make install / uninstall into a staging DESTDIR, and the Debian package
# from make deb: its contents, and in CI a real dpkg -i and dpkg -r.

load helper

TOP=$BATS_TEST_DIRNAME/..

# mk ARGS...: make in the source tree, untouched by an outer make's flags.
mk() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$TOP" "$@"
}

# assert_installed FILE SOURCE MODE: FILE is a copy of SOURCE with MODE.
assert_installed() {
	[ -f "$1" ] || fail "not installed: $1"
	cmp "$2" "$1"
	[ "$(stat -c %a "$1")" = "$3" ] ||
		fail "$1 has mode $(stat -c %a "$1"), want $3"
}

@test "make install puts every file under DESTDIR and PREFIX; uninstall removes them" {
	local d=$T/stage p=$T/stage/opt/zcp
	mk install DESTDIR="$d" PREFIX=/opt/zcp
	assert_installed "$p/bin/zcp" "$TOP/zcp" 755
	assert_installed "$p/share/man/man1/zcp.1" "$TOP/man/zcp.1" 644
	assert_installed "$p/share/bash-completion/completions/zcp" "$TOP/completions/bash/zcp" 644
	assert_installed "$p/share/zsh/site-functions/_zcp" "$TOP/completions/zsh/_zcp" 644
	assert_installed "$p/share/fish/vendor_completions.d/zcp.fish" "$TOP/completions/fish/zcp.fish" 644
	# nothing else
	run bash -c "cd '$d' && find . -type f | LC_ALL=C sort"
	assert_output './opt/zcp/bin/zcp
./opt/zcp/share/bash-completion/completions/zcp
./opt/zcp/share/fish/vendor_completions.d/zcp.fish
./opt/zcp/share/man/man1/zcp.1
./opt/zcp/share/zsh/site-functions/_zcp'
	run "$p/bin/zcp" --version
	assert_success
	assert_output --regexp '^zcp [0-9.]+$'

	mk uninstall DESTDIR="$d" PREFIX=/opt/zcp
	run find "$d" -type f
	assert_output ''
}

@test "make install honours BINDIR, MANDIR and the completion directories" {
	local d=$T/stage
	mk install DESTDIR="$d" BINDIR=/b MANDIR=/m BASHCOMPDIR=/cb \
		ZSHCOMPDIR=/cz FISHCOMPDIR=/cf
	assert_installed "$d/b/zcp" "$TOP/zcp" 755
	assert_installed "$d/m/man1/zcp.1" "$TOP/man/zcp.1" 644
	assert_installed "$d/cb/zcp" "$TOP/completions/bash/zcp" 644
	assert_installed "$d/cz/_zcp" "$TOP/completions/zsh/_zcp" 644
	assert_installed "$d/cf/zcp.fish" "$TOP/completions/fish/zcp.fish" 644
	mk uninstall DESTDIR="$d" BINDIR=/b MANDIR=/m BASHCOMPDIR=/cb \
		ZSHCOMPDIR=/cz FISHCOMPDIR=/cf
	run find "$d" -type f
	assert_output ''
}

# build_deb: makes the package in $T/deb, prints its path.
build_deb() {
	command -v dpkg-deb > /dev/null || skip "dpkg-deb is missing (Debian package dpkg)"
	command -v dpkg-shlibdeps > /dev/null || skip "dpkg-shlibdeps is missing (Debian package dpkg-dev)"
	mk deb DEB_DIR="$T/deb-stage" DEB_OUT="$T" > /dev/null
	ls "$T"/zcp_*.deb
}

@test "make deb: a package with zcp, its man page and completions" {
	local deb
	deb=$(build_deb)
	run dpkg-deb -f "$deb" Package Version Architecture
	assert_output "Package: zcp
Version: $("$TOP/zcp" --version | cut -d' ' -f2)
Architecture: $(dpkg --print-architecture)"
	# Depends names the package of every library zcp links
	local depends lib pkg
	depends=$(dpkg-deb -f "$deb" Depends)
	for lib in $(ldd "$TOP/zcp" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
		pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || dpkg -S "/usr$lib") ||
			fail "no package owns $lib"
		pkg=${pkg%%:*}
		[[ ", $depends," == *", $pkg"[\ ,]* ]] ||
			fail "Depends '$depends' lacks $pkg (for $lib)"
	done
	[[ $depends == *libc6* ]]
	run bash -c "dpkg-deb -c '$deb' | awk '\$1 !~ /^d/ { print \$1, \$2, \$6 }' | LC_ALL=C sort -k3"
	assert_output '-rwxr-xr-x root/root ./usr/bin/zcp
-rw-r--r-- root/root ./usr/share/bash-completion/completions/zcp
-rw-r--r-- root/root ./usr/share/doc/zcp/copyright
-rw-r--r-- root/root ./usr/share/fish/vendor_completions.d/zcp.fish
-rw-r--r-- root/root ./usr/share/man/man1/zcp.1.gz
-rw-r--r-- root/root ./usr/share/zsh/vendor-completions/_zcp'
	# the packaged page is the committed one
	dpkg-deb -x "$deb" "$T/x"
	zcat "$T/x/usr/share/man/man1/zcp.1.gz" | cmp - "$TOP/man/zcp.1"
}

# Installing system-wide is for throwaway machines: CI, as root, and only
# when no zcp package is installed already.
@test "the package installs with dpkg -i, works, and dpkg -r removes it" {
	[ "${CI:-}" = true ] || skip "installs system-wide: runs only with CI=true"
	[ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
	if dpkg-query -W -f '${Status}' zcp 2>/dev/null | grep -q installed; then
		skip "a zcp package is installed already; not replacing it"
	fi
	local deb
	deb=$(build_deb)
	: > "$T/dpkg-installed"
	dpkg -i "$deb"
	run /usr/bin/zcp --version
	assert_success
	mkdata "$T/src" 100000
	run /usr/bin/zcp "$T/src" "$T/dst"
	assert_success
	assert_reported 100000
	cmp "$T/src" "$T/dst"
	[ -f /usr/share/man/man1/zcp.1.gz ]
	[ -f /usr/share/bash-completion/completions/zcp ]
	[ -f /usr/share/zsh/vendor-completions/_zcp ]
	[ -f /usr/share/fish/vendor_completions.d/zcp.fish ]
	dpkg -r zcp
	[ ! -e /usr/bin/zcp ]
	[ ! -e /usr/share/man/man1/zcp.1.gz ]
	[ ! -e /usr/share/bash-completion/completions/zcp ]
}

teardown() {
	# a failed install test must not leave its package behind
	if [ -e "$T/dpkg-installed" ]; then
		dpkg -r zcp > /dev/null 2>&1 || true
	fi
}
