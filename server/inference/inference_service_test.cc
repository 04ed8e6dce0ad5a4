// InferenceService in-process over a real loopback gRPC server, with a real
// InferenceCore on stories260K (../shared/data), called through the real
// InferenceClient: greedy Generate equals core Generate token for token;
// stream framing (echoed prompt tokens, generated tokens, then exactly one
// summary); Score equals ScoreDocuments; Tokenize/Detokenize round trips;
// every bad field is INVALID_ARGUMENT; auth; a client that cancels frees
// its slot (on a synthetic model slow enough that the cancel must be what
// ends the request).
#include "server/inference/inference_service.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "client/lib/inference_client.h"
#include "core/model/synth.h"
#include "core/runtime/generate.h"
#include "core/runtime/perplexity.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "server/inference/inference_test_util.h"

namespace seedlm::serve {
namespace {

using client::InferenceClient;
using client::InferenceClientOptions;
using testing::kAdminToken;
using testing::kClientToken;
using testing::kModel;
using testing::kTokenizer;
using testing::kWorkerToken;
using testing::Served;

// Everything a Generate stream carried.
struct Streamed {
  std::vector<v1::GenerateToken> prompt;     // echoed
  std::vector<v1::GenerateToken> generated;  // ids >= 0
  std::string text;                          // the completion's text
  absl::StatusOr<v1::GenerateSummary> summary;
};

Streamed Stream(const InferenceClient& c, const v1::GenerateRequest& r) {
  Streamed s;
  s.summary = c.Generate(r, [&s](const v1::GenerateToken& t) {
    if (t.is_prompt()) {
      s.prompt.push_back(t);
    } else {
      s.text += t.text();
      if (t.id() >= 0) s.generated.push_back(t);
    }
    return absl::OkStatus();
  });
  return s;
}

v1::GenerateRequest Text(const std::string& prompt, int max_tokens) {
  v1::GenerateRequest r;
  r.set_text(prompt);
  r.set_max_tokens(max_tokens);
  return r;
}

class InferenceServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kModel)) return;
    ServeOptions o;
    o.engine.max_batch = 2;
    o.engine.max_queue = 2;
    served_ = Served::Start(kModel, kTokenizer, o).release();
  }
  static void TearDownTestSuite() {
    delete served_;
    served_ = nullptr;
  }
  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kModel);
    ASSERT_NE(served_, nullptr);
    client_ = served_->Client();
    ASSERT_NE(client_, nullptr);
  }
  const InferenceCore& core() const { return *served_->core; }

  static Served* served_;
  std::unique_ptr<InferenceClient> client_;
};

Served* InferenceServiceTest::served_ = nullptr;

TEST_F(InferenceServiceTest, GreedyGenerateEqualsCoreGenerate) {
  for (const auto& [prompt, max_tokens] :
       std::vector<std::pair<std::string, int>>{
           {"Once upon a time", 40}, {"Lily and Tom", 300}, {"", 25}}) {
    GenerateOptions go;
    go.max_tokens = max_tokens;
    absl::StatusOr<GenerateResult> want = seedlm::Generate(
        core().model(), core().tokenizer(), prompt, go, nullptr, nullptr);
    ASSERT_TRUE(want.ok()) << want.status();
    const Streamed got = Stream(*client_, Text(prompt, max_tokens));
    ASSERT_TRUE(got.summary.ok()) << got.summary.status();
    // Generate's ids include the EOS that stopped it; the stream does not
    // send a stopping token, but counts it.
    std::vector<int32_t> want_ids = want->ids;
    const bool eos = want->finish_reason == "eos";
    if (eos) want_ids.pop_back();
    std::vector<int32_t> got_ids;
    for (const v1::GenerateToken& t : got.generated) got_ids.push_back(t.id());
    EXPECT_EQ(got_ids, want_ids) << prompt;
    EXPECT_EQ(got.text, want->text) << prompt;
    EXPECT_EQ(got.summary->finish_reason(),
              eos ? v1::FINISH_REASON_STOP : v1::FINISH_REASON_LENGTH);
    EXPECT_EQ(got.summary->usage().prompt_tokens(),
              static_cast<int>(want->prompt_ids.size()));
    EXPECT_EQ(got.summary->usage().completion_tokens(),
              static_cast<int>(want->ids.size()));
    EXPECT_GT(got.summary->timings().total_seconds(), 0);
  }
}

TEST_F(InferenceServiceTest, SameTokensFromIdsAsFromText) {
  const Streamed a = Stream(*client_, Text("The cat sat", 20));
  ASSERT_TRUE(a.summary.ok()) << a.summary.status();
  auto ids = core().Tokenize("The cat sat", true);
  ASSERT_TRUE(ids.ok());
  v1::GenerateRequest r;
  r.mutable_ids()->mutable_ids()->Add(ids->begin(), ids->end());
  r.set_max_tokens(20);
  const Streamed b = Stream(*client_, r);
  ASSERT_TRUE(b.summary.ok()) << b.summary.status();
  EXPECT_EQ(a.text, b.text);
  EXPECT_FALSE(a.text.empty());
  // Seeded sampling is reproducible.
  v1::GenerateRequest s = Text("The cat sat", 30);
  s.set_temperature(0.9);
  s.set_seed(42);
  const Streamed s1 = Stream(*client_, s);
  const Streamed s2 = Stream(*client_, s);
  ASSERT_TRUE(s1.summary.ok() && s2.summary.ok());
  EXPECT_EQ(s1.text, s2.text);
}

// The raw stream: echoed prompt tokens, generated tokens, one summary last.
TEST_F(InferenceServiceTest, StreamFraming) {
  auto stub = v1::InferenceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(served_->port),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  rpc::AttachToken(ctx, kClientToken);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
  v1::GenerateRequest r = Text("Once upon a time", 12);
  r.set_echo(true);
  r.set_top_logprobs(3);
  r.set_ignore_eos(true);
  auto reader = stub->Generate(&ctx, r);
  std::vector<v1::GenerateResponse> msgs;
  v1::GenerateResponse m;
  while (reader->Read(&m)) msgs.push_back(m);
  ASSERT_TRUE(reader->Finish().ok());
  auto prompt_ids = core().Tokenize("Once upon a time", true);
  ASSERT_TRUE(prompt_ids.ok());
  const size_t np = prompt_ids->size();
  ASSERT_EQ(msgs.size(), np + 12 + 1);
  for (size_t i = 0; i + 1 < msgs.size(); ++i) {
    ASSERT_TRUE(msgs[i].has_token()) << i;
    const v1::GenerateToken& t = msgs[i].token();
    EXPECT_EQ(t.is_prompt(), i < np) << i;
    if (i < np) {
      EXPECT_EQ(t.id(), (*prompt_ids)[i]);
    }
    if (i == 0) {
      EXPECT_EQ(t.logprob(), 0);  // no context
      continue;
    }
    EXPECT_LT(t.logprob(), 0);
    ASSERT_EQ(t.alternatives_size(), 3) << i;
    for (int k = 1; k < 3; ++k) {
      EXPECT_GE(t.alternatives(k - 1).logprob(), t.alternatives(k).logprob());
    }
    if (!t.is_prompt()) {  // greedy: the chosen token is the first
      EXPECT_EQ(t.id(), t.alternatives(0).id());
      EXPECT_EQ(t.logprob(), t.alternatives(0).logprob());
      EXPECT_EQ(t.alternatives(0).text(), core().tokenizer().Decode({t.id()}));
    }
  }
  ASSERT_TRUE(msgs.back().has_summary());
  EXPECT_EQ(msgs.back().summary().finish_reason(), v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(msgs.back().summary().usage().completion_tokens(), 12);
  EXPECT_EQ(msgs.back().summary().usage().prompt_tokens(),
            static_cast<int>(np));
}

TEST_F(InferenceServiceTest, ScoreEqualsScoreDocuments) {
  const std::string text =
      "Once upon a time, there was a little girl named Lily. She loved to "
      "play outside in the park.";
  auto doc = core().Tokenize(text, true);
  ASSERT_TRUE(doc.ok());
  absl::StatusOr<PerplexityResult> want =
      ScoreDocuments(core().model(), nullptr, {*doc}, 0, nullptr);
  ASSERT_TRUE(want.ok()) << want.status();
  absl::StatusOr<v1::ScoreResponse> got = client_->Score(text);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->tokens(), want->tokens);
  EXPECT_NEAR(got->nll(), want->nll, 1e-5 * want->nll);
  EXPECT_NEAR(got->perplexity(), want->perplexity, 1e-4 * want->perplexity);
  EXPECT_NEAR(got->log_likelihood(), -want->nll * want->tokens,
              1e-4 * want->nll * want->tokens);
  // One token is nothing to score.
  EXPECT_EQ(client_->Score("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(InferenceServiceTest, TokenizeDetokenizeRoundTrip) {
  const std::string text = "Hello world, said the little dog.";
  absl::StatusOr<v1::TokenizeResponse> t = client_->Tokenize(text);
  ASSERT_TRUE(t.ok()) << t.status();
  auto want = core().tokenizer().Encode(text, true, false);
  ASSERT_TRUE(want.ok());
  const std::vector<int32_t> ids(t->ids().begin(), t->ids().end());
  EXPECT_EQ(ids, *want);
  EXPECT_EQ(ids.front(), core().tokenizer().bos_id());
  std::string joined;
  for (const std::string& p : t->pieces()) joined += p;
  EXPECT_EQ(joined, text);
  absl::StatusOr<std::string> back = client_->Detokenize(ids);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, text);
  absl::StatusOr<v1::TokenizeResponse> no_bos = client_->Tokenize(text, false);
  ASSERT_TRUE(no_bos.ok());
  EXPECT_EQ(no_bos->ids_size() + 1, t->ids_size());
  EXPECT_NE(no_bos->ids(0), core().tokenizer().bos_id());
}

TEST_F(InferenceServiceTest, ModelInfoIsTheCores) {
  absl::StatusOr<v1::ModelInfoResponse> m = client_->ModelInfo();
  ASSERT_TRUE(m.ok()) << m.status();
  const ModelInfo& want = core().info();
  EXPECT_EQ(m->model_id(), "stories260K");
  EXPECT_EQ(m->architecture(), "llama");
  EXPECT_EQ(m->file_kind(), want.file_kind);
  EXPECT_EQ(m->context(), want.context);
  EXPECT_EQ(m->context(), 512);
  EXPECT_EQ(m->vocab_size(), 512);
  EXPECT_EQ(m->n_layers(), want.n_layers);
  EXPECT_EQ(m->dim(), want.dim);
  EXPECT_EQ(m->max_batch(), 2);
  EXPECT_EQ(m->max_queue(), 2);
  EXPECT_EQ(m->bits_per_weight(), want.bits_per_weight);
}

TEST_F(InferenceServiceTest, BadFieldsAreInvalidArgument) {
  struct Case {
    const char* what;
    v1::GenerateRequest request;
  };
  std::vector<Case> cases;
  auto add = [&cases](const char* what, auto&& edit) {
    v1::GenerateRequest r = Text("Once", 5);
    edit(r);
    cases.push_back({what, r});
  };
  add("max_tokens", [](auto& r) { r.set_max_tokens(-1); });
  add("top_p", [](auto& r) { r.set_top_p(0); });
  add("temperature", [](auto& r) { r.set_temperature(-1); });
  add("top_logprobs", [](auto& r) { r.set_top_logprobs(21); });
  add("stop", [](auto& r) {
    for (int i = 0; i < 17; ++i) r.add_stop("s" + std::to_string(i));
  });
  add("stop[0]", [](auto& r) { r.add_stop(std::string(257, 'x')); });
  add("bytes",
      [](auto& r) { r.set_text(std::string(kMaxPromptBytes + 1, 'a')); });
  add("vocabulary", [](auto& r) {
    r.mutable_ids()->add_ids(1);
    r.mutable_ids()->add_ids(512);
  });
  add("ids[0]", [](auto& r) { r.mutable_ids()->add_ids(-1); });
  add("empty", [](auto& r) { r.mutable_ids(); });
  add("empty", [](auto& r) {
    r.set_text("");
    r.set_add_bos(false);
  });
  add("context", [](auto& r) { r.set_max_tokens(511); });  // 2 + 511 > 512
  add("ids:", [](auto& r) {
    for (size_t i = 0; i <= kMaxPromptIds; ++i) r.mutable_ids()->add_ids(1);
  });
  for (const Case& c : cases) {
    const Streamed s = Stream(*client_, c.request);
    ASSERT_FALSE(s.summary.ok()) << c.what;
    EXPECT_EQ(s.summary.status().code(), absl::StatusCode::kInvalidArgument)
        << c.what << ": " << s.summary.status();
    EXPECT_NE(s.summary.status().message().find(c.what), std::string::npos)
        << c.what << ": " << s.summary.status();
    EXPECT_TRUE(s.generated.empty());
  }
  // Text that is not UTF-8 never reaches the service: protobuf refuses to
  // parse a string field holding it (gRPC answers INTERNAL).
  const Streamed bad_utf8 = Stream(*client_, Text("\xff\xfe", 5));
  EXPECT_FALSE(bad_utf8.summary.ok());
  EXPECT_TRUE(bad_utf8.generated.empty());
  // Exactly at the context is fine: 2 + 510 = 512.
  v1::GenerateRequest edge = Text("Once", 510);
  edge.set_ignore_eos(true);
  const Streamed e = Stream(*client_, edge);
  ASSERT_TRUE(e.summary.ok()) << e.summary.status();
  EXPECT_EQ(e.generated.size(), 510u);
  // Unary calls.
  EXPECT_EQ(client_->Detokenize({1, 512}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->Detokenize({-5}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      client_->Tokenize(std::string(kMaxPromptBytes + 1, 'a')).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      client_->Score(std::string(kMaxPromptBytes + 1, 'a')).status().code(),
      absl::StatusCode::kInvalidArgument);
  // The server keeps serving.
  EXPECT_TRUE(Stream(*client_, Text("Once", 3)).summary.ok());
}

TEST_F(InferenceServiceTest, AuthNeedsAClientToken) {
  const std::vector<std::pair<std::string, absl::StatusCode>> cases = {
      {"", absl::StatusCode::kUnauthenticated},
      {"not-a-known-token", absl::StatusCode::kUnauthenticated},
      {kWorkerToken, absl::StatusCode::kPermissionDenied},
      {kClientToken, absl::StatusCode::kOk},
      {kAdminToken, absl::StatusCode::kOk},
  };
  for (const auto& [token, code] : cases) {
    auto c = served_->Client(token);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->ModelInfo().status().code(), code) << token;
    EXPECT_EQ(c->Tokenize("a").status().code(), code) << token;
    EXPECT_EQ(c->Detokenize({1}).status().code(), code) << token;
    EXPECT_EQ(c->Score("a b").status().code(), code) << token;
    const Streamed s = Stream(*c, Text("Once", 3));
    EXPECT_EQ(s.summary.status().code(), code) << token;
    if (code != absl::StatusCode::kOk) {
      EXPECT_TRUE(s.generated.empty());
    }
  }
}

// A synthetic model (random weights) large enough that 1000 tokens take
// seconds: the request can only end early because the client cancelled (or
// its deadline passed).
TEST(InferenceServiceCancelTest, ClientCancelFreesTheSlot) {
  SEEDLM_NEED_SHARED_FILE(kTokenizer);
  const std::string dir =
      ::testing::TempDir() + "/inference_cancel_" + std::to_string(::getpid());
  SynthOptions so;
  so.dim = 384;
  so.hidden = 1024;
  so.layers = 4;
  so.heads = 6;
  so.vocab = 512;  // tok512.bin's
  ASSERT_TRUE(WriteSyntheticModel(dir, so).ok());
  ServeOptions o;
  o.engine.max_batch = 1;
  o.engine.max_queue = 0;
  o.engine.context = 1024;
  std::unique_ptr<Served> served = Served::Start(dir, kTokenizer, o);
  ASSERT_NE(served, nullptr);
  auto c = served->Client();
  ASSERT_NE(c, nullptr);
  v1::GenerateRequest r = Text("Once", 1000);
  r.set_ignore_eos(true);
  int seen = 0;
  absl::Status while_full;
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::GenerateSummary> s =
      c->Generate(r, [&](const v1::GenerateToken&) {
        if (++seen < 3) return absl::OkStatus();
        // The one slot is taken and nothing may wait: refused at once.
        while_full = Stream(*c, Text("Once", 2)).summary.status();
        // Returning an error makes the client cancel the call.
        return absl::AbortedError("enough");
      });
  EXPECT_EQ(s.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(while_full.code(), absl::StatusCode::kResourceExhausted)
      << while_full;
  // The slot frees soon (bounded wait, not a sleep).
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (served->core->stats().running > 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  const EngineStats st = served->core->stats();
  EXPECT_EQ(st.running, 0);
  EXPECT_EQ(st.requests_finished, 1);
  EXPECT_LT(st.tokens_generated, 1000) << absl::Now() - start;
  // The next request is served at once (max_queue 0: it would be refused
  // while the slot were held).
  const Streamed next = Stream(*c, Text("Once", 2));
  EXPECT_TRUE(next.summary.ok()) << next.summary.status();
  EXPECT_EQ(next.generated.size(), 2u);

  // A deadline that passes mid-stream ends the call and frees the slot too
  // (once the last request's slot is back: a summary may reach the client
  // a moment before the engine's step releases the slot).
  const absl::Time until1 = absl::Now() + absl::Seconds(20);
  while (served->core->stats().running > 0 && absl::Now() < until1) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  InferenceClientOptions quick = c->options();
  quick.generate_timeout = absl::Milliseconds(300);
  auto q = InferenceClient::Connect(quick);
  ASSERT_TRUE(q.ok());
  const Streamed late = Stream(**q, r);
  EXPECT_EQ(late.summary.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(late.generated.size(), 1000u);
  const absl::Time until2 = absl::Now() + absl::Seconds(20);
  while (served->core->stats().running > 0 && absl::Now() < until2) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_EQ(served->core->stats().running, 0);
  EXPECT_LT(served->core->stats().tokens_generated, 2000);
  served.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace seedlm::serve
