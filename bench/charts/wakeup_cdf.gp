# bench/charts/wakeup_cdf.gp -- CDF of wake-up latencies per method
# (bench/wakeup.sh table 1), drawn by bench/charts.sh.
# Variables: dir (wakeup_<method>.dat), methods ("read receive ..."), out, note.
set terminal pngcairo size 1100,650 font "DejaVu Sans,11" noenhanced
set output out
set title "Wake-up latency: producer's COMMIT returned -> consumer holds the message\n".note
set xlabel "latency (ms, log scale; includes the consumer's own lease commit)"
set ylabel "fraction of messages with latency <= x"
set logscale x
set xrange [0.05:1000]
set yrange [0:1]
set ytics 0.1
set mytics 2
set grid xtics ytics mxtics lc rgb "#e4e4e4", lc rgb "#f2f2f2"
set bmargin 9
set key at screen 0.1, screen 0.02 left bottom Left reverse maxrows 3 width -3 samplen 3
set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead lc rgb "#999999" dt 3
set arrow 2 from graph 0, first 0.99 to graph 1, first 0.99 nohead lc rgb "#999999" dt 3
set label 1 "p50" at graph 0.005, first 0.5 offset 0, 0.6 tc rgb "#666666"
set label 2 "p99" at graph 0.005, first 0.99 offset 0, -0.8 tc rgb "#666666"
name(m) = (m eq "read") ? "pgmq_c.read(..., wait => 10 s)" : \
          (m eq "receive") ? "CALL pgmq_c.receive(..., wait => 10 s)" : \
          (m eq "listen") ? "LISTEN/NOTIFY: plain table + pg_notify trigger, then claim" : \
          (m eq "qnotify") ? "LISTEN pgmq_c (enable_notify) + pgmq_c.read" : \
          (m eq "poll") ? "polling the plain table every 100 ms" : \
          (m eq "read_tx") ? "(diagnostic) read(..., wait) timed before its COMMIT" : m
color(m) = (m eq "read") ? "#1f5fa8" : (m eq "receive") ? "#59a14f" : (m eq "listen") ? "#e15759" : \
           (m eq "qnotify") ? "#f28e2b" : (m eq "poll") ? "#7f7f7f" : "#9c9ede"
dash(m) = (m eq "read_tx") ? 2 : 1
plot for [m in methods] dir."/wakeup_".m.".dat" using 1:2 with steps lw 2 lc rgb color(m) dt dash(m) title name(m)
