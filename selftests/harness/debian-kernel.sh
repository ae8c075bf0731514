#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Download Debian's own kernel (image, headers or both) for one
# architecture and suite and unpack it into a private root, keyed by the
# concrete package versions. apt runs with a private configuration, sources
# list, state and cache: nothing of the system's apt setup is read or
# changed, and nothing is installed.
# Usage: debian-kernel.sh amd64|arm64 bookworm|bookworm-backports \
#	[image|headers|both]	(default both)
# Prints root=, kver=, kernel= (image), image= (an arm64 kernel that had to
# be decompressed for QEMU) and headers= (headers) lines.

. "$(dirname "$0")/lib.sh"
shopt -s inherit_errexit

usage="usage: $0 amd64|arm64 bookworm|bookworm-backports [image|headers|both]"
case $# in 2|3) ;; *) die "$usage" ;; esac
arch=$1
suite=$2
what=${3:-both}
case $arch in amd64|arm64) ;; *) die "$usage" ;; esac
case $suite in bookworm|bookworm-backports) ;; *) die "$usage" ;; esac
case $what in image|headers|both) ;; *) die "$usage" ;; esac

mirror=http://deb.debian.org
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# linux-kbuild holds host programs (fixdep, modpost, ...): always the
# build of the machine the modules are built on.
host=$(dpkg --print-architecture)
archs=$arch
[ "$host" = "$arch" ] || archs="$arch,$host"

apt=$AXVM_CACHE/debian/apt-$arch-$suite
mkdir -p "$apt/etc/empty.d" "$apt/state/lists/partial" \
	 "$apt/cache/archives/partial" "$apt/log"
[ -f "$apt/state/status" ] || : >"$apt/state/status"

# Stdin to a file, left alone when unchanged: apt rebuilds its cache
# whenever the sources list is newer.
put() {
	cat >"$1.new"
	if cmp -s "$1.new" "$1"; then
		rm "$1.new"
	else
		mv "$1.new" "$1"
	fi
}

src="deb [arch=$archs signed-by=$keyring]"
case $suite in
bookworm)
	put "$apt/etc/sources.list" <<-EOF
	$src $mirror/debian bookworm main
	$src $mirror/debian bookworm-updates main
	$src $mirror/debian-security bookworm-security main
	EOF
	;;
bookworm-backports)
	put "$apt/etc/sources.list" <<-EOF
	$src $mirror/debian bookworm-backports main
	EOF
	;;
esac

# apt reads APT_CONFIG before /etc/apt/apt.conf.d, and that directory
# before any -o: only this file can keep the system's parts (hooks,
# proxies, auth.conf) out.
{
	cat <<-EOF
	Dir::Etc::Main "/dev/null";
	Dir::Etc::Parts "$apt/etc/empty.d";
	Dir::Etc::SourceParts "$apt/etc/empty.d";
	Dir::Etc::Preferences "/dev/null";
	Dir::Etc::PreferencesParts "$apt/etc/empty.d";
	Dir::Etc::Trusted "/dev/null";
	Dir::Etc::TrustedParts "$apt/etc/empty.d";
	Dir::Etc::netrc "/dev/null";
	Dir::Etc::netrcparts "$apt/etc/empty.d";
	Dir::Log "$apt/log";
	Acquire::Languages "none";
	Acquire::GzipIndexes "true";
	EOF
	# _apt cannot reach a cache under /root; the .debs are checked
	# against the signed indexes either way.
	[ "$(id -u)" != 0 ] || echo 'APT::Sandbox::User "root";'
} | put "$apt/etc/apt.conf"

opts=(-o "APT::Architecture=$arch" -o "APT::Architectures=$archs"
      -o "Dir::Etc::SourceList=$apt/etc/sources.list"
      -o "Dir::State=$apt/state" -o "Dir::State::status=$apt/state/status"
      -o "Dir::Cache=$apt/cache")
aptget() { APT_CONFIG=$apt/etc/apt.conf apt-get -q "${opts[@]}" "$@"; }
aptcache() { APT_CONFIG=$apt/etc/apt.conf apt-cache "${opts[@]}" "$@"; }

# One apt run per private state at a time.
exec 8>"$apt.lock"
flock 8

# The indexes are fetched again after an hour, or when the sources change.
# Offline, the last ones do. apt-get update exits 0 when a fetch fails.
update() {
	aptget update >"$apt/log/update.log" 2>&1 &&
		! grep -q '^[WE]: ' "$apt/log/update.log"
}
if cmp -s "$apt/etc/sources.list" "$apt/state/updated" &&
   [ -n "$(find "$apt/state/updated" -mmin -60)" ]; then
	:
elif update; then
	cp "$apt/etc/sources.list" "$apt/state/updated"
elif cmp -s "$apt/etc/sources.list" "$apt/state/updated"; then
	log "apt-get update failed; using the $suite indexes of an earlier run"
else
	cat "$apt/log/update.log" >&2
	die "apt-get update failed"
fi

# The candidate's record of a package, a field of a record, and the first
# name in its Depends that matches.
record() {
	aptcache show --no-all-versions "$1" 2>/dev/null | grep . ||
		die "$1 is not in $suite"
}
field() { sed -n "s/^$2: //p" <<<"$1" | head -1; }
depends_on() {
	field "$1" Depends | sed 's/[,|]/\n/g' | sed 's/^ *//; s/ .*//' |
		grep -m1 -x "$2"
}

# The metapackages name the concrete ABI packages of this suite; want[]
# holds the package:arch=version lines each part unpacks.
declare -A want
kver=
if [ "$what" != headers ]; then
	meta=$(record "linux-image-$arch")
	img=$(depends_on "$meta" "linux-image-.*-$arch") ||
		die "linux-image-$arch names no kernel in $suite"
	kver=${img#linux-image-}
	want[image]="$img:$arch=$(field "$(record "$img")" Version)"
fi
if [ "$what" != image ]; then
	meta=$(record "linux-headers-$arch")
	hdr=$(depends_on "$meta" "linux-headers-.*-$arch") ||
		die "linux-headers-$arch names no headers in $suite"
	[ -z "$kver" ] || [ "$hdr" = "linux-headers-$kver" ] ||
		die "linux-image-$arch ($kver) and linux-headers-$arch ($hdr) differ in $suite"
	kver=${hdr#linux-headers-}
	r=$(record "$hdr")
	v=$(field "$r" Version)
	common=$(depends_on "$r" "linux-headers-.*-common") ||
		die "$hdr depends on no linux-headers-*-common"
	kbuild=$(depends_on "$r" "linux-kbuild-.*") ||
		die "$hdr depends on no linux-kbuild-*"
	# The host's build of the same source version.
	record "$kbuild:$host=$v" >/dev/null
	want[headers]=$(printf '%s\n' "$hdr:$arch=$v" "$common:all=$v" \
			"$kbuild:$host=$v")
fi
abi=${kver%-"$arch"}

dir=$AXVM_CACHE/debian/$arch-$abi
root=$dir/root
mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9

parts=$what
[ "$what" != both ] || parts="image headers"
for part in $parts; do
	# A new upload under the same ABI name: start again.
	if [ -f "$dir/.axvm-$part" ] &&
	   [ "$(cat "$dir/.axvm-$part")" != "${want[$part]}" ]; then
		log "$arch-$abi: $part packages changed, unpacking again"
		rm -rf "$root" "$dir"/.axvm-*
	fi
done

ms() { echo $(($(date +%s%N) / 1000000)); }

# Absolute symlinks (lib/modules/<kver>/build and source) point into the
# private root instead, relative so that the root can move.
relink() {
	local l t
	find "$root" -type l -lname '/*' -print0 |
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		ln -sfnr "$root$t" "$l"
	done
}

# The arch headers' Makefile only includes the common one, by its
# absolute path: include it relative to itself.
fix_headers() {
	local mk=$root/usr/src/linux-headers-$kver/Makefile
	# shellcheck disable=SC2016
	sed -i 's|^include /usr/src/\(linux-headers-[^/]*\)/Makefile$|include $(dir $(lastword $(MAKEFILE_LIST)))../\1/Makefile|' "$mk"
	! grep -q '^include /' "$mk" || die "$mk: absolute include left"
	[ -f "$root/usr/src/linux-headers-$abi-common/Makefile" ] ||
		die "$arch-$abi: no linux-headers-$abi-common in the root"
}

bytes() { dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null | tr -d '\0'; }

# QEMU boots an arm64 Image, not a gzip'd or EFI zboot one: unpack those
# next to the vmlinuz.
arm64_image() {
	local z=$root/boot/vmlinuz-$kver out=$root/boot/Image-$kver
	local off size comp
	if [ "$(od -An -tx1 -N2 "$z" | tr -d ' ')" = 1f8b ]; then
		gzip -dc "$z" >"$out.tmp"
	elif [ "$(bytes "$z" 4 4)" = zimg ]; then
		off=$(od -An -tu4 --endian=little -j8 -N4 "$z" | tr -d ' ')
		size=$(od -An -tu4 --endian=little -j12 -N4 "$z" | tr -d ' ')
		comp=$(bytes "$z" 24 8)
		case $comp in
		gzip) comp="gzip -dc" ;;
		lzma) comp="xz -dc --format=lzma" ;;
		xzkern) comp="xz -dc" ;;
		zstd22) comp="zstd -dcq" ;;
		*) die "$z: zboot payload in $comp" ;;
		esac
		tail -c +$((off + 1)) "$z" | head -c "$size" | $comp >"$out.tmp"
	else
		return 0
	fi
	[ "$(bytes "$out.tmp" 56 4)" = ARMd ] ||
		{ rm -f "$out.tmp"; die "$z: does not unpack to an arm64 Image"; }
	mv "$out.tmp" "$out"
}

for part in $parts; do
	[ ! -f "$dir/.axvm-$part" ] || continue
	log "$arch-$abi: downloading the $part packages from $suite"
	rm -rf "$dir/debs"
	mkdir -p "$dir/debs" "$root"
	t0=$(ms)
	# apt-get names an Architecture: all package without its :all.
	mapfile -t list <<<"${want[$part]//:all=/=}"
	(cd "$dir/debs" && aptget download "${list[@]}" >/dev/null) ||
		die "$arch-$abi: apt-get download failed"
	t1=$(ms)
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	relink
	case $part in
	image)
		[ "$arch" != arm64 ] || arm64_image
		# As the package's postinst does; for modprobe in a guest.
		PATH=$PATH:/usr/sbin:/sbin depmod -b "$root" "$kver" ||
			log "$arch-$abi: depmod failed (no modules.dep)" ;;
	headers)
		fix_headers ;;
	esac
	t2=$(ms)
	size=$(du -cb "$dir"/debs/*.deb | tail -1 | cut -f1)
	log "$arch-$abi: $part: $size bytes of .debs, downloaded in $((t1 - t0)) ms, unpacked in $((t2 - t1)) ms"
	rm -rf "$dir/debs"
	echo "${want[$part]}" >"$dir/.axvm-$part"
done

# Whether this machine can build modules against the headers: the kbuild
# programs run, the compiler the kernel was built with is here, and pahole
# for the module BTF that the headers' vmlinux asks for.
check_headers() {
	local h=$1 text cc have cross='' rc=0
	"$h/scripts/basic/fixdep" >/dev/null 2>&1 || rc=$?
	[ "$rc" -lt 126 ] ||
		log "warning: $h/scripts/basic/fixdep does not run here ($rc)"
	# "x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"
	text=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$h/.config")
	cc=${text%% *}
	cc=gcc${cc##*gcc}
	if [ "$arch" != "$host" ]; then
		case $arch in
		arm64) cross=aarch64-linux-gnu- ;;
		amd64) cross=x86_64-linux-gnu- ;;
		esac
	fi
	if ! command -v "$cross$cc" >/dev/null; then
		log "warning: $kver was built with $text; $cross$cc is not installed"
	else
		have=$("$cross$cc" --version | head -1)
		[ "${have##* }" = "${text##* }" ] ||
			log "warning: $kver was built with $text; this machine has $have"
	fi
	if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$h/.config" &&
	   [ -f "$h/vmlinux" ] && ! command -v pahole >/dev/null; then
		log "warning: modules for $kver need pahole (package dwarves) for their BTF, or make CONFIG_DEBUG_INFO_BTF_MODULES="
	fi
}

echo "root=$root"
echo "kver=$kver"
if [ -n "${want[image]:-}" ]; then
	echo "kernel=$root/boot/vmlinuz-$kver"
	[ ! -f "$root/boot/Image-$kver" ] || echo "image=$root/boot/Image-$kver"
fi
if [ -n "${want[headers]:-}" ]; then
	check_headers "$root/usr/src/linux-headers-$kver"
	echo "headers=$root/usr/src/linux-headers-$kver"
fi
