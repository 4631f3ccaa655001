#!/bin/sh
# Regenerates the origin's fixtures (videos/) with ffmpeg from Debian
# (apt-get install ffmpeg; made with 5.1). HLS: two titles, each a master
# playlist over two renditions, 6 s of H.264 (constrained baseline,
# yuv420p, 12 fps) with AAC-LC audio, in three 2 s MPEG-TS segments.
# DASH: the demo title again (videos/demo/dash/), an MPD over two video
# representations and one audio representation, each an init segment and
# three 2 s fragmented-MP4 segments named by a $Number$ SegmentTemplate.
# Inputs are ffmpeg's own test sources, so nothing is downloaded; encoding
# is single-threaded with bit-exact muxing, so a rerun with the same ffmpeg
# rewrites the same bytes.
#
#   sh internal/local/origin/media/generate.sh
set -eu
cd "$(dirname "$0")"

# fresh DIR: an empty DIR for one output.
fresh() {
	rm -rf "$1"
	mkdir -p "$1"
}

# encode VIDEO SECONDS TONE ARGS...: one ffmpeg run over the test
# sources, video VIDEO (a lavfi source with its size, 12 fps, 6 s) and a
# TONE Hz beep of SECONDS, with the encoding every output shares, so that
# HLS and DASH carry the same: H.264 constrained baseline level 3.0 with
# a 2 s GOP (24 frames) and no scene-cut keyframes, so that segments cut
# at 2 s; mono AAC-LC at 16 kb/s; bit-exact muxing. ARGS are the output's
# own: its maps, video rates and muxer.
encode() {
	video=$1 seconds=$2 hz=$3
	shift 3
	ffmpeg -nostdin -hide_banner -loglevel error \
		-f lavfi -i "$video:rate=12:duration=6" \
		-f lavfi -i "sine=frequency=$hz:beep_factor=4:sample_rate=22050:duration=$seconds" \
		-map_metadata -1 \
		-c:v libx264 -profile:v baseline -level:v 3.0 -pix_fmt yuv420p -preset medium -threads 1 \
		-g 24 -keyint_min 24 -sc_threshold 0 \
		-c:a aac -profile:a aac_low -ac 1 -b:a 16k \
		-fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
		"$@"
}

# rendition TITLE SOURCE TONE WIDTH HEIGHT VIDEO_KBPS
rendition() {
	out="videos/$1/$5p"
	fresh "$out"
	encode "$2=size=$4x$5" 6 "$3" \
		-map 0:v -map 1:a \
		-b:v "$6k" -maxrate "$6k" -bufsize "$(($6 * 2))k" \
		-f hls -hls_time 2 -hls_playlist_type vod -hls_flags independent_segments \
		-hls_segment_filename "$out/seg%d.ts" "$out/index.m3u8"
}

# master TITLE: the two renditions, highest first (players start there
# unless told otherwise). BANDWIDTH is the peak segment rate and
# AVERAGE-BANDWIDTH the mean, rounded up; CODECS: H.264 constrained baseline
# level 3.0 (avc1.42c01e), AAC-LC (mp4a.40.2).
master() {
	cat >"videos/$1/master.m3u8" <<PLAYLIST
#EXTM3U
#EXT-X-VERSION:3
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=100000,AVERAGE-BANDWIDTH=90000,RESOLUTION=320x180,FRAME-RATE=12.000,CODECS="avc1.42c01e,mp4a.40.2"
180p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=75000,AVERAGE-BANDWIDTH=65000,RESOLUTION=160x90,FRAME-RATE=12.000,CODECS="avc1.42c01e,mp4a.40.2"
90p/index.m3u8
PLAYLIST
}

for title in demo other; do
	case $title in
	demo) src=testsrc tone=440 ;;
	other) src=testsrc2 tone=660 ;;
	esac
	rendition "$title" "$src" "$tone" 320 180 48
	rendition "$title" "$src" "$tone" 160 90 24
	master "$title"
done

# dash TITLE SOURCE TONE: one ffmpeg run encodes both video
# representations (the same settings as the HLS renditions) and the audio,
# and writes the MPD with relative URIs (the path-prefix channel needs
# them). The audio is 5.95 s: AAC's priming and 1024-sample frames would
# spill the end of 6 s into a fourth 2 s segment that the 6 s MPD never
# names.
dash() {
	out="videos/$1/dash"
	fresh "$out"
	encode "$2=size=320x180" 5.95 "$3" \
		-filter_complex "[0:v]split=2[v180][full];[full]scale=160:90[v90]" \
		-map "[v180]" -map "[v90]" -map 1:a \
		-b:v:0 48k -maxrate:v:0 48k -bufsize:v:0 96k -b:v:1 24k -maxrate:v:1 24k -bufsize:v:1 48k \
		-f dash -seg_duration 2 -use_template 1 -use_timeline 0 -single_file 0 \
		-adaptation_sets "id=0,streams=v id=1,streams=a" \
		-init_seg_name 'init-$RepresentationID$.mp4' -media_seg_name 'seg-$RepresentationID$-$Number$.m4s' \
		"$out/manifest.mpd"
}

dash demo testsrc 440
