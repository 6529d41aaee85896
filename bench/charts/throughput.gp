# bench/charts/throughput.gp -- pgmq_c / raw-SQL throughput ratio per
# scenario and client count (bench/run.sh table 1), drawn by bench/charts.sh.
# Variables: dat (throughput.dat), clients ("1 4"), out (PNG), note.
set terminal pngcairo size 1100,620 font "DejaVu Sans,11" noenhanced
set output out
set title "Throughput of pgmq_c relative to raw SQL on the same table shape\n".note
set ylabel "msg/s ratio pgmq_c / baseline (median of runs)"
set xlabel "scenario (pgbench -M prepared; bars: client count; whiskers: lowest and highest ratio of one run's pair)"
set style data histogram
set style histogram errorbars gap 1.5 lw 1.2
set style fill solid 0.85 border -1
set boxwidth 1
set yrange [0:*]
set grid ytics lc rgb "#dddddd"
set key outside top center horizontal
set offsets 0, 0, graph 0.08, 0
set xtics nomirror
set ytics nomirror
n = words(clients)
# the parity line and the 0.95 target
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#333333" lw 1.5 dt 1 front
set arrow 2 from graph 0, first 0.95 to graph 1, first 0.95 nohead lc rgb "#c00000" lw 1 dt 2 front
set label 1 "parity" at graph 1, first 1 right offset -0.5, 0.6 tc rgb "#333333" front
set label 2 "target 0.95" at graph 1, first 0.95 right offset -0.5, -0.8 tc rgb "#c00000" front
colors = "#4e79a7 #f28e2b #59a14f #e15759 #76b7b2"
# bar i (0-based) of cluster k is centred at k + (i - (n-1)/2) / (n + gap)
plot for [i=0:n-1] dat using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
        title word(clients, i+1) . (word(clients, i+1) eq "1" ? " client" : " clients") lc rgb word(colors, i+1), \
     for [i=0:n-1] dat using ($0 + (i - (n-1)/2.0) / (n + 1.5)):(column(4+3*i)):(sprintf("%.2f", column(2+3*i))) \
        with labels offset 0, 0.8 font ",9" notitle
