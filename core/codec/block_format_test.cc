#include "core/codec/block_format.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

TEST(BlockFormatTest, FourBitLayoutIsOneWord) {
  Block b;
  b.seed = 0xACE1;
  b.e = -8;
  b.q[0] = -3;
  b.q[1] = 7;
  b.q[2] = 0;
  uint8_t buf[4] = {};
  PackBlock(kLayout4Bit, b, buf, 0);
  const uint32_t word = buf[0] | (buf[1] << 8) | (buf[2] << 16) |
                        (static_cast<uint32_t>(buf[3]) << 24);
  // seed in bits 0-15, e in 16-19, q0 20-23, q1 24-27, q2 28-31.
  EXPECT_EQ(word, 0xACE1u | (0x8u << 16) | (0xDu << 20) | (0x7u << 24));
}

TEST(BlockFormatTest, RandomRoundTripAllWidths) {
  std::mt19937 rng(7);
  for (int K : {2, 7, 16, 24}) {
    for (int E : {0, 3, 4, 8}) {
      for (int P : {1, 3, 8}) {
        for (int Q : {2, 4, 8}) {
          const BlockLayout l{K, E, P, Q};
          const int n = 37;
          std::vector<uint8_t> buf(PackedBytes(n, l.bits()) + 1, 0xA5);
          std::vector<Block> blocks(n);
          for (auto& b : blocks) {
            b.seed = 1 + rng() % ((1u << K) - 1);
            b.e = E ? static_cast<int8_t>(static_cast<int>(rng() % (1u << E)) -
                                          (1 << (E - 1)))
                    : 0;
            for (int p = 0; p < P; ++p) {
              b.q[p] = static_cast<int8_t>(static_cast<int>(rng() % (1u << Q)) -
                                           (1 << (Q - 1)));
            }
          }
          for (int i = 0; i < n; ++i) PackBlock(l, blocks[i], buf.data(), i);
          EXPECT_EQ(buf.back(), 0xA5) << "wrote past the packed size";
          for (int i = n - 1; i >= 0; --i) {
            const Block got = UnpackBlock(l, buf.data(), i);
            ASSERT_EQ(got.seed, blocks[i].seed);
            ASSERT_EQ(got.e, blocks[i].e);
            for (int p = 0; p < P; ++p) ASSERT_EQ(got.q[p], blocks[i].q[p]);
            // The windowed reader, inside the stream and at its tail.
            const Block fast =
                UnpackBlockFast(l, buf.data(), PackedBytes(n, l.bits()), i);
            ASSERT_EQ(fast.seed, got.seed);
            ASSERT_EQ(fast.e, got.e);
            for (int p = 0; p < kMaxP; ++p) ASSERT_EQ(fast.q[p], got.q[p]);
          }
        }
      }
    }
  }
}

TEST(BlockFormatTest, SignExtend) {
  EXPECT_EQ(SignExtend(0xF, 4), -1);
  EXPECT_EQ(SignExtend(0x8, 4), -8);
  EXPECT_EQ(SignExtend(0x7, 4), 7);
  EXPECT_EQ(SignExtend(0x5, 0), 0);
  EXPECT_EQ(PackedBytes(3, 36), 14u);
}

}  // namespace
}  // namespace seedlm
