# Summarises `go test -bench -count N` output: the median ns/op and
# allocs/op of each benchmark and its ratio to BenchmarkBaselineHMAC
# measured in the same run.
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 2; i <= NF; i++) {
		if ($i == "ns/op") ns[name] = ns[name] " " $(i-1)
		if ($i == "allocs/op") al[name] = $(i-1)
	}
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
function median(list,   a, k, i, j, t) {
	k = split(list, a, " ")
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
END {
	base = median(ns["BenchmarkBaselineHMAC"])
	printf "\n%-26s %12s %10s %12s\n", "benchmark", "median ns/op", "allocs/op", "x baseline"
	for (i = 1; i <= n; i++) {
		m = median(ns[order[i]])
		printf "%-26s %12.1f %10s %12.2f\n", order[i], m, al[order[i]], (base > 0 ? m / base : 0)
	}
}
