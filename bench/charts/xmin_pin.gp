# bench/charts/xmin_pin.gp -- bench/xmin_pin.sh's run over time, per second:
# consumed msg/s, ms per consumer call, dead tuples, table + index size, for
# pgmq_c and the raw-SQL baseline, the pinned xmin shaded; drawn by
# bench/charts.sh.  Variables: dir (xmin_<side>.dat, xmin_<side>_calls.dat),
# sides ("qc bl"), pin_from, pin_to, xmax (s), out, note.
set terminal pngcairo size 1100,1300 font "DejaVu Sans,11" noenhanced
set output out
name(s) = (s eq "qc") ? "pgmq_c" : "baseline (raw SQL)"
color(s) = (s eq "qc") ? "#1f5fa8" : "#e15759"
pf = real(pin_from); pt = real(pin_to)
set multiplot layout 4,1 title "xmin horizon pinned by an idle REPEATABLE READ transaction (shaded): producer at a fixed rate, consumer read 1 + delete flat out\n".note font ",12"
set grid lc rgb "#e4e4e4"
set key outside top center horizontal samplen 2 width 1
set xrange [0:real(xmax)]
set lmargin 14
set ylabel offset -1.5, 0
set rmargin 3
if (pf == pf) { set object 1 rect from pf, graph 0 to pt, graph 1 behind fc rgb "#ffe9b3" fs solid 0.6 noborder }
if (pf == pf) { set label 10 sprintf("xmin pinned %.0f-%.0f s", pf, pt) at (pf + pt) / 2, graph 0.92 center tc rgb "#8a6100" front }
set ylabel "msg/s, per second\n(sequence - backlog)"
set xlabel "s since the start of the side's run"
set yrange [0:*]
plot for [s in sides] dir."/xmin_".s.".dat" using 1:2 with lines lw 1.3 lc rgb color(s) title name(s)." consumed", \
     for [s in sides] dir."/xmin_".s.".dat" using 1:7 with lines lw 1 dt 3 lc rgb color(s) title name(s)." sent (dotted)"
unset label 10
set ylabel "ms per consumer call\n(mean per second, log)"
set logscale y
set yrange [*:*]
set format y "%g"
plot for [s in sides] dir."/xmin_".s."_calls.dat" using 1:3 with lines lw 1.3 lc rgb color(s) title name(s)
unset logscale y
set yrange [0:*]
set ylabel "dead tuples, thousands\n(n_dead_tup)"
plot for [s in sides] dir."/xmin_".s.".dat" using 1:($3 / 1000) with lines lw 1.5 lc rgb color(s) title name(s)
set ylabel "table + index MB\n(pg_total_relation_size)"
plot for [s in sides] dir."/xmin_".s.".dat" using 1:4 with lines lw 1.5 lc rgb color(s) title name(s)
unset multiplot
