#include "core/runtime/kv_cache.h"

#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

LlamaConfig SmallConfig() {
  LlamaConfig c;
  c.dim = 16;
  c.hidden_dim = 32;
  c.n_layers = 4;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 4;
  c.vocab_size = 10;
  c.max_seq_len = 32;
  return c;
}

TEST(KvCache, CreateChecksTheRangeAndCapacity) {
  const LlamaConfig c = SmallConfig();
  EXPECT_TRUE(KvCache::Create(c, 0, 4, 1).ok());
  EXPECT_TRUE(KvCache::Create(c, 2, 2, 5).ok());  // no layer at all
  for (auto [b, e, cap] :
       {std::make_tuple(-1, 2, 4), std::make_tuple(3, 2, 4),
        std::make_tuple(0, 5, 4), std::make_tuple(0, 4, 0)}) {
    EXPECT_EQ(KvCache::Create(c, b, e, cap).status().code(),
              absl::StatusCode::kInvalidArgument)
        << b << " " << e << " " << cap;
  }
}

TEST(KvCache, BytesGrowWithUseUpToTheCapacity) {
  const LlamaConfig c = SmallConfig();
  KvCache cache(c, 1, 3, 10);
  EXPECT_EQ(cache.kv_dim(), 8);
  EXPECT_TRUE(cache.covers(1) && cache.covers(2));
  EXPECT_FALSE(cache.covers(0) || cache.covers(3));
  EXPECT_EQ(cache.capacity_bytes(), 2u * 2 * 10 * 8 * 4);
  EXPECT_EQ(KvCache::BytesFor(c, 2, 10), cache.capacity_bytes());
  EXPECT_EQ(cache.bytes(), 0u);
  std::vector<float> k(8 * 10), v(8 * 10);
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = static_cast<float>(i);
    v[i] = -static_cast<float>(i);
  }
  for (int pos = 0; pos < 10; ++pos) {
    ASSERT_TRUE(cache.CheckWrite(1, 3, pos, 1).ok());
    cache.Write(1, pos, 1, &k[pos * 8], &v[pos * 8]);
    cache.Write(2, pos, 1, &k[pos * 8], &v[pos * 8]);
    EXPECT_LE(cache.bytes(), cache.capacity_bytes());
  }
  EXPECT_EQ(cache.bytes(), cache.capacity_bytes());
  EXPECT_EQ(cache.length(1), 10);
  EXPECT_EQ(std::vector<float>(cache.keys(2), cache.keys(2) + 80), k);
  EXPECT_EQ(std::vector<float>(cache.values(1), cache.values(1) + 80), v);
  cache.Clear();
  EXPECT_EQ(cache.length(1), 0);
  EXPECT_EQ(cache.bytes(), cache.capacity_bytes());  // storage kept

  KvCache reserved(c, 0, 4, 6);
  reserved.Reserve(100);  // at most the capacity
  EXPECT_EQ(reserved.bytes(), reserved.capacity_bytes());
}

TEST(KvCache, CheckWriteErrors) {
  KvCache cache(SmallConfig(), 1, 3, 4);
  EXPECT_TRUE(cache.CheckWrite(1, 3, 0, 4).ok());
  EXPECT_TRUE(cache.CheckWrite(2, 2, 0, 1).ok());
  EXPECT_EQ(cache.CheckWrite(1, 3, 0, 5).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(cache.CheckWrite(1, 3, 0, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.CheckWrite(1, 3, -1, 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.CheckWrite(3, 1, 0, 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.CheckWrite(0, 3, 0, 1).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cache.CheckWrite(1, 4, 0, 1).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cache.CheckWrite(1, 3, 1, 1).code(),
            absl::StatusCode::kFailedPrecondition);  // a gap
  const std::vector<float> kv(3 * 8, 1.0f);
  cache.Write(1, 0, 3, kv.data(), kv.data());
  EXPECT_TRUE(cache.CheckWrite(1, 2, 3, 1).ok());
  EXPECT_EQ(cache.CheckWrite(1, 2, 3, 2).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(cache.CheckWrite(1, 3, 3, 1).code(),
            absl::StatusCode::kFailedPrecondition);  // layer 2 is empty
  // Writing at an earlier position forgets the later ones.
  cache.Write(1, 1, 1, kv.data(), kv.data());
  EXPECT_EQ(cache.length(1), 2);
}

}  // namespace
}  // namespace seedlm
