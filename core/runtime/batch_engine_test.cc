// The batching engine against its definition: greedy and seeded requests
// give Generate's tokens whether they run alone or in a batch, with any
// prefill chunk; capacity, cancellation, deadlines, drain and stop rules.
#include "core/runtime/batch_engine.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime/generate.h"
#include "core/runtime/perplexity.h"
#include "core/tokenizer/llama2c_tokenizer.h"
#include "core/util/file_util.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

struct Outcome {
  std::vector<int32_t> ids;
  std::string text;
  std::vector<float> logprobs;
  CompletionSummary summary;
};

// Reads a stream to its end (bounded: a minute).
Outcome Drain(CompletionStream* s) {
  Outcome o;
  std::vector<TokenEvent> ev;
  const absl::Time until = absl::Now() + absl::Seconds(60);
  while (s->Read(&ev, until)) {
    if (absl::Now() > until) {
      ADD_FAILURE() << "stream did not finish";
      return o;
    }
  }
  for (const TokenEvent& e : ev) {
    if (e.is_prompt) continue;
    if (e.id >= 0) {
      o.ids.push_back(e.id);
      o.logprobs.push_back(e.logprob);
    }
    o.text += e.text;
  }
  o.summary = s->summary();
  return o;
}

class BatchEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto model = LlamaModel::Load(kStories);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = model->release();
    auto bytes = ReadFileToString(SharedDataPath("data/stories260K/tok512.bin"),
                                  1 << 20);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto tok = Llama2cTokenizer::Create(*bytes);
    ASSERT_TRUE(tok.ok()) << tok.status();
    tokenizer_ = tok->release();
  }
  static void TearDownTestSuite() {
    delete model_;
    delete tokenizer_;
  }

  std::unique_ptr<BatchEngine> Engine(EngineOptions o) {
    auto e = BatchEngine::Create(model_, tokenizer_, o);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? std::move(*e) : nullptr;
  }
  static std::vector<int32_t> Ids(const std::string& prompt) {
    auto ids = tokenizer_->Encode(prompt, true, false);
    EXPECT_TRUE(ids.ok());
    return *ids;
  }
  // What Generate (the CLI's path) gives, EOS dropped.
  static GenerateResult Reference(const std::string& prompt, int max_tokens,
                                  SamplerOptions sampler) {
    GenerateOptions g;
    g.max_tokens = max_tokens;
    g.sampler = sampler;
    auto r = Generate(*model_, *tokenizer_, prompt, g, nullptr, {});
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r->ids.empty() && r->ids.back() == tokenizer_->eos_id()) {
      r->ids.pop_back();
    }
    return *r;
  }

  static LlamaModel* model_;
  static Tokenizer* tokenizer_;
};

LlamaModel* BatchEngineTest::model_ = nullptr;
Tokenizer* BatchEngineTest::tokenizer_ = nullptr;

const std::vector<std::string> kPrompts = {
    "Once upon a time",
    "Lily",
    "The cat sat on the mat and",
    "One day, a little boy named Tim went to the park",
    "Sam",
    "A big dog",
    "She was happy because",
    ""};

TEST_F(BatchEngineTest, EightConcurrentRequestsEqualGenerateAlone) {
  for (int chunk : {64, 3}) {
    EngineOptions o;
    o.max_batch = 8;
    o.prefill_chunk = chunk;
    o.threads = 2;
    auto engine = Engine(o);
    ASSERT_NE(engine, nullptr);
    std::vector<std::unique_ptr<CompletionStream>> streams;
    for (size_t i = 0; i < kPrompts.size(); ++i) {
      CompletionRequest r;
      r.prompt_ids = Ids(kPrompts[i]);
      r.max_tokens = 20 + 7 * static_cast<int>(i);
      if (i % 2 == 1) r.sampler = {0.9, 0.95, 1234 + i};
      auto s = engine->Submit(r);
      ASSERT_TRUE(s.ok()) << s.status();
      streams.push_back(std::move(*s));
    }
    for (size_t i = 0; i < kPrompts.size(); ++i) {
      SamplerOptions sampler;
      if (i % 2 == 1) sampler = {0.9, 0.95, 1234 + i};
      const GenerateResult want =
          Reference(kPrompts[i], 20 + 7 * static_cast<int>(i), sampler);
      const Outcome got = Drain(streams[i].get());
      ASSERT_TRUE(got.summary.status.ok()) << got.summary.status;
      EXPECT_EQ(got.ids, want.ids) << i << " chunk " << chunk;
      EXPECT_EQ(got.text, want.text) << i;
      EXPECT_EQ(got.summary.finish_reason,
                want.finish_reason == "eos" ? "stop" : want.finish_reason);
      EXPECT_EQ(got.summary.prompt_tokens,
                static_cast<int>(want.prompt_ids.size()));
    }
    EXPECT_GT(engine->stats().steps, 0);
    EXPECT_EQ(engine->stats().requests_finished, 8);
  }
}

TEST_F(BatchEngineTest, LogprobsAreTheModelsAndScoreTheRecipe) {
  auto engine = Engine({});
  ASSERT_NE(engine, nullptr);
  const std::string text = "Once upon a time, there was a little girl.";
  CompletionRequest r;
  r.prompt_ids = Ids(text);
  r.max_tokens = 0;
  r.prompt_logprobs = true;
  r.top_logprobs = 3;
  auto s = engine->Submit(r);
  ASSERT_TRUE(s.ok());
  std::vector<TokenEvent> ev;
  while ((*s)->Read(&ev, absl::Now() + absl::Seconds(30))) {
  }
  ASSERT_TRUE((*s)->summary().status.ok());
  EXPECT_EQ((*s)->summary().finish_reason, "length");
  ASSERT_EQ(ev.size(), r.prompt_ids.size());
  double sum = 0;
  std::string echoed;
  for (size_t i = 0; i < ev.size(); ++i) {
    EXPECT_TRUE(ev[i].is_prompt);
    EXPECT_EQ(ev[i].id, r.prompt_ids[i]);
    echoed += ev[i].text;
    if (i == 0) continue;
    sum += ev[i].logprob;
    ASSERT_EQ(ev[i].top.size(), 3u);
    EXPECT_GE(ev[i].top[0].logprob, ev[i].top[1].logprob);
    EXPECT_GE(ev[i].top[0].logprob, ev[i].logprob);
  }
  EXPECT_NE(echoed.find("little girl."), std::string::npos) << echoed;
  auto ppl = ScoreDocuments(*model_, nullptr, {r.prompt_ids}, 0, nullptr);
  ASSERT_TRUE(ppl.ok());
  EXPECT_EQ(ppl->tokens, static_cast<int64_t>(ev.size() - 1));
  EXPECT_NEAR(-sum / ppl->tokens, ppl->nll, 1e-5);
}

TEST_F(BatchEngineTest, StopStringsCutTheText) {
  auto engine = Engine({});
  ASSERT_NE(engine, nullptr);
  const GenerateResult full = Reference("Once upon a time", 60, {});
  ASSERT_GT(full.text.size(), 40u);
  const std::string stop = full.text.substr(25, 4);
  const size_t at = full.text.find(stop);
  CompletionRequest r;
  r.prompt_ids = Ids("Once upon a time");
  r.max_tokens = 60;
  r.stop = {stop, "never-appears-zz"};
  auto s = engine->Submit(r);
  ASSERT_TRUE(s.ok());
  const Outcome got = Drain(s->get());
  EXPECT_EQ(got.text, full.text.substr(0, at));
  EXPECT_EQ(got.summary.finish_reason, "stop");
}

TEST_F(BatchEngineTest, CapacityIsRunningPlusWaiting) {
  EngineOptions o;
  o.max_batch = 1;
  o.max_queue = 1;
  auto engine = Engine(o);
  ASSERT_NE(engine, nullptr);
  CompletionRequest r;
  r.prompt_ids = Ids("Once");
  r.max_tokens = 200;
  r.stop_at_eos = false;
  auto a = engine->Submit(r);
  auto b = engine->Submit(r);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = engine->Submit(r);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  // Cancelling the running one frees its slot: b runs to its end.
  (*a)->Cancel();
  const Outcome oa = Drain(a->get());
  EXPECT_EQ(oa.summary.status.code(), absl::StatusCode::kCancelled);
  const Outcome ob = Drain(b->get());
  EXPECT_TRUE(ob.summary.status.ok());
  EXPECT_EQ(ob.ids.size(), 200u);
  EXPECT_TRUE(engine->Submit(r).ok());
}

TEST_F(BatchEngineTest, DroppingAStreamCancelsAndDeadlinesExpire) {
  EngineOptions o;
  o.max_batch = 1;
  auto engine = Engine(o);
  ASSERT_NE(engine, nullptr);
  CompletionRequest r;
  r.prompt_ids = Ids("Once");
  r.max_tokens = 250;
  r.stop_at_eos = false;
  { ASSERT_TRUE(engine->Submit(r).ok()); }  // dropped at once
  r.deadline = absl::Now() - absl::Seconds(1);
  auto late = engine->Submit(r);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(Drain(late->get()).summary.status.code(),
            absl::StatusCode::kDeadlineExceeded);
  r.deadline = absl::InfiniteFuture();
  r.max_tokens = 5;
  auto next = engine->Submit(r);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(Drain(next->get()).ids.size(), 5u);
}

TEST_F(BatchEngineTest, DrainFinishesInFlightAndRefusesNew) {
  auto engine = Engine({});
  ASSERT_NE(engine, nullptr);
  CompletionRequest r;
  r.prompt_ids = Ids("Lily");
  r.max_tokens = 30;
  r.stop_at_eos = false;
  auto a = engine->Submit(r);
  ASSERT_TRUE(a.ok());
  std::thread drain([&] { engine->Drain(absl::Now() + absl::Seconds(30)); });
  const Outcome oa = Drain(a->get());
  drain.join();
  EXPECT_TRUE(oa.summary.status.ok());
  EXPECT_EQ(oa.ids.size(), 30u);
  EXPECT_EQ(engine->Submit(r).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(BatchEngineTest, ShutdownEndsStreamsAsUnavailable) {
  auto engine = Engine({});
  ASSERT_NE(engine, nullptr);
  CompletionRequest r;
  r.prompt_ids = Ids("Lily");
  r.max_tokens = 250;
  r.stop_at_eos = false;
  auto a = engine->Submit(r);
  ASSERT_TRUE(a.ok());
  engine.reset();
  EXPECT_EQ(Drain(a->get()).summary.status.code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(BatchEngineTest, BadRequestsAndOptions) {
  auto engine = Engine({});
  ASSERT_NE(engine, nullptr);
  auto code = [&](CompletionRequest r) {
    return engine->Submit(std::move(r)).status().code();
  };
  CompletionRequest ok;
  ok.prompt_ids = Ids("Hi");
  CompletionRequest r = ok;
  r.prompt_ids.clear();
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.prompt_ids.push_back(512);
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.max_tokens = -1;
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.max_tokens = engine->context();  // the prompt leaves less room
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.sampler.top_p = 0;
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.stop = {""};
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.top_logprobs = kMaxTopLogprobs + 1;
  EXPECT_EQ(code(r), absl::StatusCode::kInvalidArgument);
  EngineOptions o;
  o.max_batch = 0;
  EXPECT_EQ(BatchEngine::Create(model_, tokenizer_, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = {};
  o.context = model_->config().max_seq_len + 1;
  EXPECT_EQ(BatchEngine::Create(model_, tokenizer_, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
