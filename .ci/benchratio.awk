# Summarises `go test -bench -count N` output: the median ns/op and
# allocs/op of each benchmark, and its ratio to the baseline measured in
# the same run. The baseline of a sub-benchmark "A/x" is the sub-benchmark
# of A whose name starts with "baseline"; for a top-level benchmark it is
# the top-level benchmark whose name starts with "BenchmarkBaseline".
# A paired benchmark, which runs its baseline alternately with itself in
# one loop, reports baseline-ns/op, baseline-allocs/op, self-allocs/op and
# x-baseline; it
# is printed as two rows, its baseline and itself with the median of its
# per-run ratios.
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 2; i <= NF; i++) {
		if ($i == "ns/op") ns[name] = ns[name] " " $(i-1)
		if ($i == "allocs/op") al[name] = $(i-1)
		if ($i == "baseline-ns/op") bns[name] = bns[name] " " $(i-1)
		if ($i == "baseline-allocs/op") bal[name] = $(i-1)
		if ($i == "self-allocs/op") sal[name] = $(i-1)
		if ($i == "x-baseline") xb[name] = xb[name] " " $(i-1)
	}
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
function median(list,   a, k, i, j, t) {
	k = split(list, a, " ")
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
function parent(name,   p) { p = name; if (sub(/\/[^\/]*$/, "", p)) return p; return "" }
function baseline(name,   p, i) {
	p = parent(name)
	for (i = 1; i <= n; i++) {
		if (p != "" && parent(order[i]) == p && substr(order[i], length(p) + 2, 8) == "baseline") return order[i]
		if (p == "" && parent(order[i]) == "" && order[i] ~ /^BenchmarkBaseline/) return order[i]
	}
	return ""
}
END {
	printf "\n%-52s %14s %10s %12s\n", "benchmark", "median ns/op", "allocs/op", "x baseline"
	for (i = 1; i <= n; i++) {
		if (order[i] in xb) {
			printf "%-52s %14.1f %10s %12s\n", order[i] " (its baseline)", median(bns[order[i]]), bal[order[i]], "1.00"
			printf "%-52s %14.1f %10s %12.2f\n", order[i], median(ns[order[i]]), sal[order[i]], median(xb[order[i]])
			continue
		}
		m = median(ns[order[i]]); b = baseline(order[i])
		printf "%-52s %14.1f %10s %12s\n", order[i], m, al[order[i]], (b != "" ? sprintf("%.2f", m / median(ns[b])) : "-")
	}
}
