#include "bench/ppl_table.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_flags.h"
#include "bench/rtn.h"
#include "core/compress/model_compressor.h"
#include "core/model/model_source.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/perplexity.h"
#include "core/util/file_util.h"
#include "core/util/shared_data.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

constexpr char kUsage[] =
    "usage: seedlm-bench perplexity [flags]\n"
    "Perplexity, KL vs FP32 and top-1 agreement of a model compressed with\n"
    "every preset x exponent mode and with the RTN baselines, on real text\n"
    "(the recipe of `seedlm perplexity`, docs/QUALITY.md). Flags:\n";

constexpr char kBegin[] = "<!-- BEGIN perplexity-table (make quality) -->";
constexpr char kEnd[] = "<!-- END perplexity-table -->";

struct Flags {
  std::string model = SharedDataPath("data/stories260K/stories260K.bin");
  std::string tinystories = SharedDataPath("data/text/tinystories-sample.txt");
  std::string wikitext = SharedDataPath("data/text/wikitext-2-raw-test.txt");
  int64_t wiki_chars = 40000;
  int64_t wiki_ctx = 256;
  std::string presets =
      "4bit,3bit,4bit-i8,3bit-i8,4bit-p4,4bit-t,3bit-t,2bit-t";
  std::string modes = "search,fit,paper";
  std::string baselines = "all";
  int64_t threads = 0;
  bool json = false;
  std::string update_doc;  // splice the Markdown into this file
};

struct Text {
  std::string label;
  std::vector<std::vector<int32_t>> docs;
  int ctx = 0;
};

// One row of the table: how its weights are made, and what was measured.
struct Row {
  std::string label;
  std::string preset;  // seedlm rows
  ExponentMode mode = ExponentMode::kSearch;
  const RtnConfig* rtn = nullptr;  // rtn rows
  double bits = 32;                // of the quantized tensors
  double rel_error = 0;
  std::vector<PerplexityResult> results;  // per text
  absl::Status status;
};

// Loads the row's model: FP32, a compressed file, or RTN-transformed.
absl::StatusOr<std::unique_ptr<LlamaModel>> LoadRow(const Flags& f, Row* row,
                                                    const std::string& tmp) {
  if (!row->preset.empty()) {
    ASSIGN_OR_RETURN(auto src, OpenModel(f.model));
    ASSIGN_OR_RETURN(const CodecConfig codec, PresetByName(row->preset));
    // The codec's default bias, as `seedlm compress` uses.
    CompressOptions opt = CompressOptions::ForCodec(codec);
    opt.mode = row->mode;
    const std::string out = absl::StrCat(
        tmp, "/", row->preset, "-", ExponentModeName(row->mode), ".seedlm");
    ASSIGN_OR_RETURN(CompressReport rep,
                     CompressModel(*src, out, opt, nullptr, {}));
    double err = 0, norm = 0;
    for (const TensorReport& t : rep.tensors)
      err += t.sq_error, norm += t.sq_norm;
    row->rel_error = norm > 0 ? std::sqrt(err / norm) : 0;
    ASSIGN_OR_RETURN(auto m, LlamaModel::Load(out));
    const WeightStats& s = m->stats();
    row->bits = s.packed_weights ? 8.0 * s.packed_bytes / s.packed_weights : 0;
    return m;
  }
  LoadModelOptions lo;
  double err = 0, norm = 0, bits = 0;
  int64_t weights = 0;
  if (row->rtn != nullptr) {
    lo.transform_linear = [&](const std::string&, int64_t rows, int64_t cols,
                              std::vector<float>* w) -> absl::Status {
      std::vector<float> q(w->size());
      RETURN_IF_ERROR(
          RtnQuantizeMatrix(*row->rtn, *w, rows, cols, absl::MakeSpan(q)));
      for (size_t i = 0; i < q.size(); ++i) {
        const double d = static_cast<double>((*w)[i]) - q[i];
        err += d * d;
        norm += static_cast<double>((*w)[i]) * (*w)[i];
      }
      bits += row->rtn->BitsPerWeight(cols) * rows * cols;
      weights += rows * cols;
      *w = std::move(q);
      return absl::OkStatus();
    };
  }
  ASSIGN_OR_RETURN(auto m, LlamaModel::Load(f.model, lo));
  if (row->rtn != nullptr) {
    row->rel_error = norm > 0 ? std::sqrt(err / norm) : 0;
    row->bits = weights ? bits / weights : 0;
  }
  return m;
}

std::vector<Row> MakeRows(const Flags& f) {
  std::vector<Row> rows(1);
  rows[0].label = "FP32";
  for (const std::string& p : SplitList(f.presets)) {
    for (const std::string& mname : SplitList(f.modes)) {
      // Without a block exponent the mode changes nothing: one row.
      auto codec = PresetByName(p);
      const bool modeless =
          codec.ok() && (codec->E == 0 || codec->is_trellis());
      if (modeless && mname != SplitList(f.modes)[0]) continue;
      Row r;
      r.preset = p;
      r.mode = ParseExponentMode(mname).value_or(ExponentMode::kSearch);
      r.label = codec.ok() && codec->is_trellis()
                    ? absl::StrCat("SeedLM `", p, "` (seed trellis)")
                    : absl::StrCat("SeedLM `", p, "`, exponent `", mname, "`");
      rows.push_back(r);
    }
  }
  const std::vector<std::string> wanted = SplitList(f.baselines);
  for (const RtnConfig& c : RtnBaselines()) {
    if (f.baselines != "all" &&
        std::find(wanted.begin(), wanted.end(), c.name) == wanted.end()) {
      continue;
    }
    Row r;
    r.rtn = &c;
    r.label = c.name;
    rows.push_back(r);
  }
  return rows;
}

std::string Markdown(const std::vector<Text>& texts,
                     const std::vector<Row>& rows) {
  std::string md;
  for (size_t t = 0; t < texts.size(); ++t) {
    const PerplexityResult& fp = rows[0].results[t];
    absl::StrAppendFormat(&md, "\n**%s** (%d tokens scored, ctx %d)\n\n",
                          texts[t].label, fp.tokens, texts[t].ctx);
    md +=
        "| weights | bits/weight | rel. error | perplexity | KL vs FP32 "
        "(nats) | top-1 agreement |\n|---|---|---|---|---|---|\n";
    for (const Row& r : rows) {
      if (!r.status.ok()) {
        absl::StrAppend(&md, "| ", r.label, " | failed: ", r.status.message(),
                        " | | | | |\n");
        continue;
      }
      const PerplexityResult& x = r.results[t];
      absl::StrAppendFormat(
          &md, "| %s | %.3f | %.4f | %.3f | %.4f | %.1f%% |\n", r.label, r.bits,
          r.rel_error, x.perplexity, x.kl_mean, 100 * x.top1_agree);
    }
  }
  return md;
}

absl::Status SpliceIntoDoc(const std::string& path, const std::string& md) {
  ASSIGN_OR_RETURN(std::string doc, ReadFileToString(path, 1 << 24));
  const size_t b = doc.find(kBegin), e = doc.find(kEnd);
  if (b == std::string::npos || e == std::string::npos || e < b) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " lacks the markers ", kBegin, " / ", kEnd));
  }
  const size_t from = b + std::string(kBegin).size();
  doc = doc.substr(0, from) + "\n" + md + "\n" + doc.substr(e);
  return WriteFileAtomically(path, doc);
}

absl::Status Run(const Flags& f) {
  ASSIGN_OR_RETURN(auto fp32, LlamaModel::Load(f.model));
  ASSIGN_OR_RETURN(auto tok, CreateTokenizer(fp32->metadata().tokenizer_format,
                                             fp32->metadata().tokenizer_data));
  std::vector<Text> texts;
  for (int i = 0; i < 2; ++i) {
    Text t;
    const std::string& path = i == 0 ? f.tinystories : f.wikitext;
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 1u << 30));
    ASSIGN_OR_RETURN(
        t.docs, TokenizeForPerplexity(*tok, text, i == 0 ? 0 : f.wiki_chars));
    t.ctx = i == 0 ? fp32->config().max_seq_len : static_cast<int>(f.wiki_ctx);
    t.label = i == 0 ? "TinyStories sample (all 5 stories)"
                     : absl::StrCat("WikiText-2 test, first ", f.wiki_chars,
                                    " characters");
    texts.push_back(std::move(t));
  }
  std::vector<Row> rows = MakeRows(f);
  const std::string tmp = (std::filesystem::temp_directory_path() /
                           absl::StrCat("seedlm-ppl-", ::getpid()))
                              .string();
  std::filesystem::create_directories(tmp);
  ThreadPool pool(static_cast<int>(f.threads));
  // One row per task, each single-threaded: results are independent of the
  // thread count.
  pool.ParallelFor(
      static_cast<int64_t>(rows.size()), 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          Row& r = rows[i];
          auto m = LoadRow(f, &r, tmp);
          if (!m.ok()) {
            r.status = m.status();
            continue;
          }
          for (const Text& t : texts) {
            auto res = ScoreDocuments(**m, fp32.get(), t.docs, t.ctx, nullptr);
            if (!res.ok()) {
              r.status = res.status();
              break;
            }
            r.results.push_back(*res);
          }
          std::fprintf(stderr, "  %s done\n", r.label.c_str());
        }
      });
  std::filesystem::remove_all(tmp);
  if (!rows[0].status.ok()) return rows[0].status;
  if (f.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const Row& r : rows) {
      nlohmann::json row = {{"weights", r.label},
                            {"bits_per_weight", r.bits},
                            {"rel_error", r.rel_error},
                            {"error", r.status.ok() ? "" : r.status.message()}};
      for (size_t t = 0; t < r.results.size(); ++t) {
        const PerplexityResult& x = r.results[t];
        row[t == 0 ? "tinystories" : "wikitext"] = {
            {"tokens", x.tokens},
            {"nll", x.nll},
            {"perplexity", x.perplexity},
            {"kl_mean", x.kl_mean},
            {"top1_agree", x.top1_agree}};
      }
      j.push_back(row);
    }
    std::printf("%s\n", j.dump(2).c_str());
  }
  const std::string md = Markdown(texts, rows);
  if (!f.json) std::printf("%s", md.c_str());
  if (!f.update_doc.empty()) RETURN_IF_ERROR(SpliceIntoDoc(f.update_doc, md));
  return absl::OkStatus();
}

}  // namespace

int PerplexityTableMain(const std::vector<std::string>& args) {
  Flags f;
  FlagSet flags;
  flags.AddString("model", &f.model, "llama2.c or HF model to evaluate");
  flags.AddString("tinystories", &f.tinystories, "in-domain text");
  flags.AddString("wikitext", &f.wikitext, "out-of-domain text");
  flags.AddInt("wiki-chars", &f.wiki_chars, "code points of WikiText kept");
  flags.AddInt("wiki-ctx", &f.wiki_ctx, "window for WikiText (tokens)");
  flags.AddString("presets", &f.presets, "comma-separated presets");
  flags.AddString("modes", &f.modes, "comma-separated exponent modes");
  flags.AddString("baselines", &f.baselines, "RTN baselines (all or names)");
  flags.AddInt("threads", &f.threads, "rows evaluated at once (0: all cores)");
  flags.AddBool("json", &f.json, "print JSON instead of Markdown");
  flags.AddString("update-doc", &f.update_doc,
                  "replace the marked table in this Markdown file");
  if (absl::Status s = flags.Parse(args); !s.ok() || flags.WantsHelp()) {
    if (!s.ok())
      std::fprintf(stderr, "seedlm-bench perplexity: %s\n",
                   std::string(s.message()).c_str());
    std::fprintf(s.ok() ? stdout : stderr, "%s%s", kUsage,
                 flags.Usage().c_str());
    return s.ok() ? 0 : 2;
  }
  for (const std::string& m : SplitList(f.modes)) {
    if (!ParseExponentMode(m).ok()) {
      std::fprintf(stderr, "seedlm-bench perplexity: unknown mode '%s'\n",
                   m.c_str());
      return 2;
    }
  }
  if (absl::Status s = Run(f); !s.ok()) {
    std::fprintf(stderr, "seedlm-bench perplexity: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace seedlm
