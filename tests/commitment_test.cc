// Committed draws (docs/draw.md sections 9-11): the seed from commitment and
// beacon, the inputs that must not change, one pending commitment, the
// record, a file that keeps them and Stores that follow them, and the
// invariant checker catching an edited commitment.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "src/journal.h"
#include "tests/snapshot.h"
#include "tests/test_support.h"
#include "vaxalloc/engine.h"
#include "vaxalloc/invariants.h"
#include "vaxalloc/lottery.h"
#include "vaxalloc/store.h"
#include "vaxalloc/types.h"

namespace vaxalloc {
namespace {

using absl::CivilDay;
using absl::StatusCode;
using testing::At;
using testing::Block;
using testing::CenterOf;
using testing::CheckSame;
using testing::Ok;
using testing::Person;
using testing::Snapshot;
using testing::StatusOf;
using testing::Supply;
using testing::Take;
using testing::Sql;
using testing::TwoDose;

const CivilDay kFirstDay(2021, 6, 14);
const absl::Time kAt = At(2021, 6, 7, 10);

class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("commitment_test") {}
};


bool Contains(const absl::Status& status, std::string_view text) {
  return absl::StrContains(std::string(status.message()), std::string(text));
}

// A district with one center: one first-dose seat a day for a week, twelve
// people of two groups, ample supply.
template <class Campaign>
void BuildCampaign(Campaign& campaign) {
  const DistrictId district = Ok(campaign.AddDistrict("06412", "Frankfurt am Main"));
  const VaccineId vaccine = Ok(campaign.AddVaccine(TwoDose("bnt", 21, 21, 42)));
  Ok(campaign.AddCenter(CenterOf("FFM", {district})));
  Ok(campaign.AddCapacity(Block(1, vaccine, kFirstDay, kFirstDay + 6, 9 * 60, 10 * 60, 60, 1, 0)));
  Ok(campaign.AddCapacity(
      Block(1, vaccine, kFirstDay + 21, kFirstDay + 48, 9 * 60, 10 * 60, 60, 0, 1)));
  Ok(campaign.AddSupply(Supply(1, vaccine, CivilDay(2021, 6, 1), 1000)));
  std::vector<RegistrantSpec> people;
  for (int i = 0; i < 12; ++i) {
    people.push_back(Person(fmt::format("HE-{:04}", i), district,
                            i % 3 == 0 ? PriorityGroup::kGroup1 : PriorityGroup::kNone,
                            At(2021, 5, 1 + i)));
  }
  Ok(campaign.RegisterBatch(people));
}

DrawRequest Request() {
  DrawRequest request;
  request.at = kAt;
  request.first_dose_from = kFirstDay;
  request.first_dose_until = kFirstDay + 6;
  return request;
}

std::string_view View(const internal::Sha256& hash) {
  return std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

TEST_CASE("a committed draw's seed is SHA-256(commitment || beacon value), its lottery runs over "
          "reference digests") {
  Engine engine;
  BuildCampaign(engine);
  const DrawCommitment commitment = Ok(engine.CommitDraw(Request(), "drand quicknet round 42"));
  CHECK(commitment.id == 1);
  CHECK(commitment.status == CommitmentStatus::kPending);
  CHECK(commitment.policy_version == 1u);
  const std::string inputs = Ok(engine.DrawInputs(1));
  CHECK(inputs.substr(0, 8) == "VXDRAWI1");
  CHECK(internal::Sha256Of(inputs) == commitment.commitment);
  CHECK(commitment.input_bytes == inputs.size());

  const std::string beacon_value = "\x01\x02\x03";
  const DrawRecord record = Ok(engine.RevealDraw(1, beacon_value, kAt + absl::Minutes(5)));
  const internal::Sha256 digest =
      internal::Sha256Of(std::string(View(commitment.commitment)) + beacon_value);
  uint64_t k0 = 0, k1 = 0;
  for (int i = 0; i < 8; ++i) {
    k0 |= uint64_t{digest[i]} << (8 * i);
    k1 |= uint64_t{digest[8 + i]} << (8 * i);
  }
  CHECK(record.request.seed == DrawSeed{k0, k1});
  CHECK(record.commitment == 1u);
  CHECK(record.request.at == kAt);
  REQUIRE(record.series.size() == 7u);  // a seat a day for a week
  // Group 1 first (4 people: all placed), then 3 of the 8 others in the order
  // of SipHash over their references' digests.
  std::vector<std::pair<uint64_t, std::string>> others;
  for (int i = 0; i < 12; ++i) {
    if (i % 3 == 0) continue;
    const std::string ref = fmt::format("HE-{:04}", i);
    others.emplace_back(LotteryNumber(record.request.seed, View(internal::Sha256Of(ref))), ref);
  }
  std::sort(others.begin(), others.end());
  for (size_t i = 0; i < 7; ++i) {
    const Series series = Ok(engine.GetSeries(record.series[i]));
    const std::string ref = Ok(engine.GetRegistrant(series.registrant)).spec.external_ref;
    if (i < 4) {
      CHECK(series.tier == 1);
    } else {
      CHECK(ref == others[i - 4].second);
    }
  }
  const DrawCommitment revealed = Ok(engine.GetDrawCommitment(1));
  CHECK(revealed.status == CommitmentStatus::kRevealed);
  CHECK(revealed.draw == record.id);
  CHECK(revealed.beacon_value == beacon_value);
  CHECK(revealed.request.seed == record.request.seed);
  CHECK(revealed.settled_at == kAt + absl::Minutes(5));
  CHECK(CheckInvariants(engine).ok());
}

TEST_CASE("any change to what the draw reads refuses the reveal and names the section") {
  struct Change {
    const char* section;
    std::function<absl::Status(Engine&)> make;
  };
  const std::vector<Change> changes = {
      {"pools", [](Engine& e) { return e.AddSupply(Supply(1, 1, CivilDay(2021, 6, 2), 1)); }},
      {"pools",
       [](Engine& e) {
         return e.AddCapacity(Block(1, 1, kFirstDay + 7, kFirstDay + 7, 9 * 60, 10 * 60, 60, 1, 0));
       }},
      {"policy",
       [](Engine& e) {
         Policy policy;
         policy.draw_lead_days_online = 2;
         return e.SetPolicy(policy).status();
       }},
      {"candidates",
       [](Engine& e) {
         return StatusOf(
             e.Register(Person("HE-late", 1, PriorityGroup::kNone, kAt - absl::Hours(1))));
       }},
      {"candidates", [](Engine& e) { return e.Withdraw(3, kAt); }},
      {"geography", [](Engine& e) { return StatusOf(e.AddCenter(CenterOf("OF", {1}))); }},
      {"vaccines", [](Engine& e) { return StatusOf(e.AddVaccine(TwoDose("mrna"))); }},
  };
  for (const Change& change : changes) {
    CAPTURE(change.section);
    Engine engine;
    BuildCampaign(engine);
    Ok(engine.CommitDraw(Request(), "NIST pulse 1"));
    Ok(change.make(engine));
    const uint64_t revision = engine.revision();
    const absl::Status refused = StatusOf(engine.RevealDraw(1, "v", kAt));
    CHECK(refused.code() == StatusCode::kFailedPrecondition);
    CHECK_MESSAGE(Contains(refused, fmt::format("section '{}'", change.section)), refused);
    CHECK(engine.revision() == revision);
    CHECK(engine.draw_count() == 0u);
    Ok(engine.AbandonDraw(1, "inputs changed", kAt));
    CHECK(Ok(engine.GetDrawCommitment(1)).status == CommitmentStatus::kAbandoned);
    CHECK(CheckInvariants(engine).ok());
  }
  // A registration after `at` takes no part, and its withdrawal, stamped
  // after `at`, touches nothing the draw reads: the inputs stay the same and
  // the draw still runs at `at`.
  Engine engine;
  BuildCampaign(engine);
  Ok(engine.CommitDraw(Request(), "NIST pulse 2"));
  const RegistrantId late =
      Ok(engine.Register(Person("HE-after", 1, PriorityGroup::kGroup1, kAt + absl::Hours(1))));
  Ok(engine.Withdraw(late, kAt + absl::Hours(1)));
  CHECK(engine.latest_change() > kAt);
  CHECK(Ok(engine.RevealDraw(1, "v", kAt + absl::Hours(2))).request.at == kAt);
  CHECK(CheckInvariants(engine).ok());
}

TEST_CASE("a beacon decides one draw, and an abandonment says whether it could have been revealed") {
  Engine engine;
  BuildCampaign(engine);
  Ok(engine.CommitDraw(Request(), "drand round 1"));
  Ok(engine.AbandonDraw(1, "the host changed its mind", kAt));
  CHECK(Ok(engine.GetDrawCommitment(1)).abandoned_unchanged);
  const absl::Status reused = StatusOf(engine.CommitDraw(Request(), "drand round 1"));
  CHECK(reused.code() == StatusCode::kAlreadyExists);
  CHECK_MESSAGE(Contains(reused, "was named by draw commitment 1"), reused);
  Ok(engine.CommitDraw(Request(), "drand round 2"));
  Ok(engine.AddSupply(Supply(1, 1, CivilDay(2021, 6, 2), 5)));
  Ok(engine.AbandonDraw(2, "supply arrived", kAt));
  CHECK_FALSE(Ok(engine.GetDrawCommitment(2)).abandoned_unchanged);
  CHECK(CheckInvariants(engine).ok());
}

TEST_CASE("one commitment pending at a time, and no plain draw meanwhile") {
  Engine engine;
  BuildCampaign(engine);
  DrawRequest seeded = Request();
  seeded.seed = DrawSeed{1, 0};
  CHECK(StatusOf(engine.CommitDraw(seeded, "round 1")).code() == StatusCode::kInvalidArgument);
  CHECK(StatusOf(engine.CommitDraw(Request(), "")).code() == StatusCode::kInvalidArgument);
  CHECK(StatusOf(engine.CommitDraw(Request(), std::string(kBeaconNameMax + 1, 'x'))).code() ==
        StatusCode::kInvalidArgument);
  CHECK(StatusOf(engine.CommitDraw(Request(), std::string("a\0b", 3))).code() ==
        StatusCode::kInvalidArgument);
  Ok(engine.CommitDraw(Request(), "round 1"));
  const absl::Status second = StatusOf(engine.CommitDraw(Request(), "round 2"));
  CHECK(second.code() == StatusCode::kFailedPrecondition);
  CHECK_MESSAGE(Contains(second, "draw commitment 1 is still pending"), second);
  const absl::Status plain = StatusOf(engine.Draw(seeded));
  CHECK(plain.code() == StatusCode::kFailedPrecondition);
  CHECK_MESSAGE(Contains(plain, "draw commitment 1 is pending"), plain);
  CHECK(StatusOf(engine.RevealDraw(1, "", kAt)).code() == StatusCode::kInvalidArgument);
  CHECK(StatusOf(engine.RevealDraw(1, std::string(kBeaconValueMax + 1, 'v'), kAt)).code() ==
        StatusCode::kInvalidArgument);
  CHECK(StatusOf(engine.RevealDraw(1, "v", kAt - absl::Seconds(1))).code() ==
        StatusCode::kInvalidArgument);
  CHECK(StatusOf(engine.RevealDraw(2, "v", kAt)).code() == StatusCode::kNotFound);
  CHECK(StatusOf(engine.DrawBundle(1)).code() == StatusCode::kFailedPrecondition);
  // A change stamped after the committed instant: the draw cannot go back to it.
  Ok(engine.Withdraw(12, kAt + absl::Hours(1)));
  const absl::Status late = StatusOf(engine.RevealDraw(1, "v", kAt + absl::Hours(2)));
  CHECK(late.code() == StatusCode::kFailedPrecondition);
  CHECK(Ok(engine.GetDrawCommitment(1)).status == CommitmentStatus::kPending);
  Ok(engine.AbandonDraw(1, "a withdrawal came after the commitment", kAt + absl::Hours(2)));
  CHECK(StatusOf(engine.AbandonDraw(1, "again", kAt + absl::Hours(2))).code() ==
        StatusCode::kFailedPrecondition);
  // Free again: a plain draw, and a new commitment.
  seeded.at = kAt + absl::Hours(3);
  Ok(engine.Draw(seeded));
  DrawRequest later = Request();
  later.at = kAt + absl::Hours(4);
  Ok(engine.CommitDraw(later, "round 3"));
  CHECK(CheckInvariants(engine).ok());
}

TEST_CASE("a Store keeps commitments, follows another process's, and catches an edited one") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  auto portal = Ok(Store::Open(path));
  auto office = Ok(Store::Open(path));
  BuildCampaign(*portal);
  const DrawCommitment made = Ok(portal->CommitDraw(Request(), "drand round 9"));
  // The other Store follows the commitment, builds the same inputs, and reveals it.
  Ok(office->Refresh());
  CHECK(Ok(office->engine().GetDrawCommitment(1)).commitment == made.commitment);
  CHECK(StatusOf(office->CommitDraw(Request(), "drand round 10")).code() ==
        StatusCode::kFailedPrecondition);
  const DrawRecord record = Ok(office->RevealDraw(1, "beacon value", kAt + absl::Minutes(1)));
  Ok(portal->Refresh());
  CHECK(Ok(portal->engine().GetDraw(record.id)).commitment == 1u);
  CHECK(Ok(portal->engine().DrawBundle(1)) == Ok(office->engine().DrawBundle(1)));
  DrawRequest next = Request();
  next.at = kAt + absl::Hours(1);
  Ok(portal->CommitDraw(next, "drand round 11"));
  Ok(portal->AbandonDraw(2, "the beacon was late", next.at));
  const testing::Snapshot before = Take(portal->engine());
  CHECK(CheckInvariants(portal->engine()).ok());
  const JournalCheck journal = Ok(portal->VerifyJournal());
  CHECK(journal.first_bad_seq == 0u);
  office.reset();
  portal.reset();

  // Reopened: the same commitments, inputs and bundle.
  {
    auto reopened = Ok(Store::Open(path));
    CheckSame(before, Take(reopened->engine()));
    const std::vector<JournalEntry> entries = Ok(reopened->ReadJournal());
    std::vector<std::string> ops;
    for (const JournalEntry& entry : entries) ops.push_back(entry.op_name);
    CHECK(std::count(ops.begin(), ops.end(), "commit_draw") == 2);
    CHECK(std::count(ops.begin(), ops.end(), "reveal_draw") == 1);
    CHECK(std::count(ops.begin(), ops.end(), "abandon_draw") == 1);
  }

  // Results edited in the file (the first series' center: after the draw id,
  // the instant, 8 tier counts, the count and the candidate index, docs/draw.md
  // section 11): the load takes them, the checker does not.
  Sql(path,
      "UPDATE draw_commitments SET results = CAST(substr(results, 1, 84) || x'07' || "
      "substr(results, 86) AS BLOB) WHERE id = 1");
  {
    auto edited = Ok(Store::Open(path));
    const InvariantReport report = CheckInvariants(edited->engine());
    REQUIRE_FALSE(report.ok());
    CHECK(report.violations[0].invariant == Invariant::kDrawCommitments);
    CHECK_MESSAGE(absl::StrContains(report.violations[0].message, "draw commitment 1"),
                  report.ToString());
  }
  // A beacon value that gives another seed than the draw used.
  Sql(path, "UPDATE draw_commitments SET beacon_value = x'00' WHERE id = 1");
  {
    auto edited = Ok(Store::Open(path));
    const InvariantReport report = CheckInvariants(edited->engine());
    CHECK_MESSAGE(absl::StrContains(report.ToString(), "give another seed"), report.ToString());
  }
  // Two pending commitments cannot be in the file, whoever writes it.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "BEGIN; UPDATE draw_commitments SET status = 0, settled_at_us = NULL, "
                         "abandon_reason = NULL, abandoned_unchanged = NULL WHERE id = 2",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    const int code = sqlite3_exec(
        db,
        "INSERT INTO draw_commitments (id, at_us, first_dose_from, first_dose_until, "
        "series_limit, beacon, library_version, policy_version, commitment, status) "
        "SELECT 3, at_us, first_dose_from, first_dose_until, series_limit, 'another', "
        "library_version, policy_version, commitment, 0 FROM draw_commitments WHERE id = 2",
        nullptr, nullptr, nullptr);
    CHECK(code == SQLITE_CONSTRAINT);
    CHECK_MESSAGE(absl::StrContains(sqlite3_errmsg(db), "UNIQUE"), sqlite3_errmsg(db));
    REQUIRE(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  // Inputs whose framing is cut, their hash recomputed to match: refused at open.
  {
    auto store = Ok(Store::Open(path));
    const std::string inputs = Ok(store->engine().DrawInputs(2));
    const std::string cut = inputs.substr(0, inputs.size() - 3);
    const internal::Sha256 hash = internal::Sha256Of(cut);
    store.reset();
    Sql(path, fmt::format("UPDATE draw_inputs SET inputs = x'{}' WHERE commitment = 2; "
                          "UPDATE draw_commitments SET commitment = x'{}' WHERE id = 2",
                          absl::BytesToHexString(cut), internal::HexOf(hash)));
    const absl::Status refused = Store::Open(path).status();
    CHECK(refused.code() == StatusCode::kDataLoss);
    CHECK_MESSAGE(Contains(refused, "another shape than docs/draw.md section 10"), refused);
    Sql(path, fmt::format("UPDATE draw_inputs SET inputs = x'{}' WHERE commitment = 2; "
                          "UPDATE draw_commitments SET commitment = x'{}' WHERE id = 2",
                          absl::BytesToHexString(inputs),
                          internal::HexOf(internal::Sha256Of(inputs))));
  }
  // Inputs that no longer hash to the commitment: the file is refused.
  Sql(path,
      "UPDATE draw_inputs SET inputs = CAST(inputs || x'00' AS BLOB) WHERE commitment = 2");
  const absl::Status corrupt = Store::Open(path).status();
  CHECK(corrupt.code() == StatusCode::kDataLoss);
  CHECK_MESSAGE(Contains(corrupt, "draw commitment 2 does not hash to its stored inputs"), corrupt);
}

TEST_CASE("the chi-square check sees registration time deciding, and not a fair lottery") {
  // 2000 people of one tier, 500 seats; `old_first`: a 60+ vaccine, and the
  // first half to register are the old ones.
  auto run = [](bool old_first, int round) {
    Engine engine;
    Ok(engine.AddDistrict("06412", "Frankfurt am Main"));
    VaccineSpec vaccine = testing::OneDose("janssen");
    vaccine.age_years_min = old_first ? 60 : 0;
    Ok(engine.AddVaccine(vaccine));
    Ok(engine.AddCenter(CenterOf("FFM", {1})));
    Ok(engine.AddCapacity(Block(1, 1, kFirstDay, kFirstDay, 8 * 60, 8 * 60 + 15, 15, 500, 0)));
    Ok(engine.AddSupply(Supply(1, 1, kFirstDay, 2000)));
    std::vector<RegistrantSpec> people;
    for (int i = 0; i < 2000; ++i) {
      people.push_back(Person(fmt::format("HE-{:06}", i), 1, PriorityGroup::kNone,
                              At(2021, 5, 1) + absl::Seconds(i),
                              CivilDay(old_first && i < 1000 ? 1940 : 1990, 1, 1)));
    }
    Ok(engine.RegisterBatch(people));
    DrawRequest request = Request();
    request.first_dose_until = kFirstDay;
    Ok(engine.CommitDraw(request, "round"));
    Ok(engine.RevealDraw(1, fmt::format("{}", round), kAt));
    return Ok(engine.CheckDrawFairness(1, 10));
  };
  for (int round = 0; round < 5; ++round) {
    const DrawFairness fair = run(false, round);
    REQUIRE(fair.tiers.size() == 1u);
    CHECK(fair.tiers[0].tier == 4);
    CHECK(fair.tiers[0].candidates == 2000u);
    CHECK(fair.tiers[0].winners == 500u);
    CHECK(fair.degrees_of_freedom == 9);
    CHECK(fair.p_value > 1e-4);
  }
  const DrawFairness biased = run(true, 0);
  CHECK(biased.p_value < 1e-100);
  CHECK(biased.chi_square > 500);
  Engine engine;
  BuildCampaign(engine);
  CHECK(engine.CheckDrawFairness(1).status().code() == StatusCode::kNotFound);
  Ok(engine.CommitDraw(Request(), "round"));
  CHECK(engine.CheckDrawFairness(1).status().code() == StatusCode::kFailedPrecondition);
  CHECK(engine.CheckDrawFairness(1, 1).status().code() == StatusCode::kInvalidArgument);
  CHECK(engine.CheckDrawFairness(1, kFairnessBucketsMax + 1).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("a 0.4 file (schema 4) migrates to schema 5 and can commit") {
  TempDir dir;
  const std::string path = dir.File("campaign.sqlite");
  Snapshot before;
  {
    auto store = Ok(Store::Open(path));
    BuildCampaign(*store);
    Ok(store->Draw([] {
      DrawRequest plain = Request();
      plain.seed = DrawSeed{7, 0};
      plain.first_dose_until = kFirstDay;
      return plain;
    }()));
    before = Take(store->engine());
  }
  // What 0.4 wrote: no commitment tables, the journal's CHECK up to op 22.
  Sql(path,
      "DROP TABLE draw_commitment_centers; DROP TABLE draw_inputs; DROP TABLE draw_commitments; "
      "CREATE TABLE journal_v4 (seq INTEGER PRIMARY KEY, op INTEGER NOT NULL CHECK (op BETWEEN 1 "
      "AND 22), committed_at_us INTEGER NOT NULL, clock_us INTEGER NOT NULL, args BLOB NOT NULL, "
      "hash BLOB NOT NULL CHECK (length(hash) = 32)) STRICT; "
      "INSERT INTO journal_v4 SELECT * FROM journal; DROP TABLE journal; "
      "ALTER TABLE journal_v4 RENAME TO journal; PRAGMA user_version = 4");
  auto store = Ok(Store::Open(path));
  CheckSame(before, Take(store->engine()));
  CHECK(Ok(store->VerifyJournal()).first_bad_seq == 0u);
  DrawRequest next = Request();
  next.at = kAt + absl::Hours(1);
  next.first_dose_from = kFirstDay + 1;
  Ok(store->CommitDraw(next, "round 1"));
  Ok(store->RevealDraw(1, "value", next.at));
  CHECK(CheckInvariants(store->engine()).ok());
  CHECK(Ok(store->VerifyJournal()).first_bad_seq == 0u);
}

TEST_CASE("a bundle written to a file is the bundle, whole") {
  TempDir dir;
  Engine engine;
  BuildCampaign(engine);
  Ok(engine.CommitDraw(Request(), "round 1"));
  Ok(engine.RevealDraw(1, "value", kAt));
  const std::string path = dir.File("draw-1.vxd");
  Ok(engine.WriteDrawBundle(1, path));
  std::ifstream in(path, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(written == Ok(engine.DrawBundle(1)));
  // Nothing left beside it.
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    ++files;
  }
  CHECK(files == 1u);
  const absl::Status missing = engine.WriteDrawBundle(1, dir.File("no/such/dir.vxd"));
  CHECK(missing.code() == StatusCode::kUnknown);
  CHECK_MESSAGE(Contains(missing, "no/such/dir.vxd"), missing);
  CHECK(engine.WriteDrawBundle(2, path).code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace vaxalloc
