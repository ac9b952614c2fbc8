// English-like lines for the word count demo: words from a fixed vocabulary
// with Zipf-like popularity, so counts are skewed as in real text.
#include <algorithm>
#include <vector>

#include "spate/connectors/generator_source.hpp"

namespace spate {

namespace {

// Roughly in order of frequency in English prose; rank k has weight 1/(k+1).
// clang-format off
const char* const words[] = {
    "the",     "of",      "and",     "to",      "a",        "in",      "is",      "that",
    "it",      "was",     "for",     "on",      "are",      "as",      "with",    "his",
    "they",    "at",      "be",      "this",    "from",     "have",    "or",      "by",
    "one",     "had",     "not",     "but",     "what",     "all",     "were",    "when",
    "we",      "there",   "can",     "an",      "your",     "which",   "their",   "said",
    "if",      "do",      "will",    "each",    "about",    "how",     "up",      "out",
    "them",    "then",    "she",     "many",    "some",     "so",      "these",   "would",
    "other",   "into",    "has",     "more",    "her",      "two",     "like",    "him",
    "see",     "time",    "could",   "no",      "make",     "than",    "first",   "been",
    "its",     "who",     "now",     "people",  "my",       "made",    "over",    "did",
    "down",    "only",    "way",     "find",    "use",      "may",     "water",   "long",
    "little",  "very",    "after",   "words",   "called",   "just",    "where",   "most",
    "know",    "get",     "through", "back",    "much",     "go",      "good",    "new",
    "write",   "our",     "used",    "me",      "man",      "too",     "any",     "day",
    "same",    "right",   "look",    "think",   "also",     "around",  "another", "came",
    "come",    "work",    "three",   "word",    "must",     "because", "does",    "part",
    "even",    "place",   "well",    "such",    "here",     "take",    "why",     "things",
    "help",    "put",     "years",   "different", "away",   "again",   "off",     "went",
    "old",     "number",  "great",   "tell",    "men",      "say",     "small",   "every",
    "found",   "still",   "between", "name",    "should",   "home",    "big",     "give",
    "air",     "line",    "set",     "own",     "under",    "read",    "last",    "never",
    "us",      "left",    "end",     "along",   "while",    "might",   "next",    "sound",
    "below",   "saw",     "something", "thought", "both",   "few",     "those",   "always",
    "show",    "large",   "often",   "together", "asked",   "house",   "world",   "going",
    "want",    "school",  "important", "until", "form",     "food",    "keep",    "children",
};
// clang-format on

constexpr std::size_t vocabulary_size = sizeof(words) / sizeof(words[0]);

// Cumulative weights, normalised to end at 1.0.
const std::vector<double>& cumulative_weights() {
  static const std::vector<double> cdf = [] {
    std::vector<double> c(vocabulary_size);
    double sum = 0;
    for (std::size_t k = 0; k < vocabulary_size; ++k)
      c[k] = (sum += 1.0 / static_cast<double>(k + 1));
    for (double& x : c)
      x /= sum;
    return c;
  }();
  return cdf;
}

// A uniform double in [0, 1) from the engine's raw bits: std::uniform_real_distribution
// is implementation-defined, and lines must be the same with every standard library.
double unit_interval(record_rng& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

} // namespace

const std::vector<std::string>& text_line_vocabulary() {
  static const std::vector<std::string> vocabulary(words, words + vocabulary_size);
  return vocabulary;
}

std::string make_text_line(record_rng& rng) {
  const auto& cdf = cumulative_weights();
  const auto& vocabulary = text_line_vocabulary();
  std::size_t n_words = 5 + static_cast<std::size_t>(rng() % 8);
  std::string line;
  for (std::size_t i = 0; i < n_words; ++i) {
    double u = unit_interval(rng);
    auto k = static_cast<std::size_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    k = std::min(k, vocabulary_size - 1);
    if (i > 0)
      line += ' ';
    line += vocabulary[k];
  }
  return line;
}

source_spec<std::string> text_line_generator(generator_options options) {
  return generator_source<std::string>(
      options, [](std::uint64_t, record_rng& rng) { return make_text_line(rng); },
      "text-line-generator");
}

} // namespace spate
