#include "core/tokenizer/chat_template.h"

#include "gtest/gtest.h"
