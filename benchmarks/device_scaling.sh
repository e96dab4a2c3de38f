#!/bin/sh
# Thread scaling on a many-core machine (issue 20): the roofline at 1..16 threads, then w2v and gensim
# (corpus_file mode, its faster one) at 16, 8, 4, 2 threads, same settings as benchmarks/peers.py.
# Usage: sh benchmarks/device_scaling.sh [CORPUS] [OUTDIR]   (about 10 minutes on 16 cores)
set -e
CORPUS=${1:-../shared/corpora/text8like}
OUT=${2:-/tmp/w2v-scaling}
mkdir -p "$OUT"
nproc; uptime
python benchmarks/roofline.py --corpus "$CORPUS" --threads 1,2,4,8,16 --no-layout --repeats 2 --json "$OUT/roofline.json"
for t in 16 8 4 2; do
  uptime
  python benchmarks/peers.py --corpus "$CORPUS" --threads $t \
    --runs w2v-sg,w2v-cbow,gensim-sg-file,gensim-cbow-file --json "$OUT/peers-$t.json"
done
