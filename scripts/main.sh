#!/usr/bin/env bash
# The main job on the embedded offline default, from a fresh checkout:
# set up .venv, prepare offline models, build the corpus, index it, answer example questions,
# write English summaries, run the gold evaluation. Outputs go to ./out/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
mkdir -p out
regioqa models prepare
regioqa models list
regioqa corpus build corpus/000_925fbcf3af44d05b.txt --out corpus/articles.jsonl
regioqa index build corpus/articles.jsonl --out out/index
regioqa ask "国家乳业技术创新中心吸纳了多少家成员单位？" --index out/index -k 5
regioqa ask --questions examples/questions.jsonl --index out/index --out out/answers.jsonl --html out/answers.html
regioqa summarize corpus/articles.jsonl --out out/summaries.jsonl
regioqa summarize corpus/articles.jsonl --out out/summaries.md --format md
regioqa summarize corpus/articles.jsonl --out out/digest.html --format html
regioqa eval gold --out out/eval
echo "done: see out/answers.jsonl, out/answers.html, out/summaries.md, out/digest.html, out/eval/report.html"
