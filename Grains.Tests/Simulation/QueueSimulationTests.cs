using OrleansJobs.Queues.Core;

namespace OrleansJobs.Tests.Simulation;

/// <summary>
/// The queue core under deterministic simulation. CI runs a fixed set of seeds; a failing seed prints
/// itself and the steps that led to the failure, and <see cref="Replay"/> runs exactly that seed again.
/// </summary>
public sealed class QueueSimulationTests
{
    private const int Steps = 3_000;

    private const int Blocks = 8;

    /// <summary>320 seeds unless ORLEANSJOBS_SIM_SEEDS asks for a long run (docs/architecture.md records the last one).</summary>
    private static readonly int Seeds = int.TryParse(Environment.GetEnvironmentVariable("ORLEANSJOBS_SIM_SEEDS"), out var seeds) && seeds > 0 ? seeds : 320;

    public static TheoryData<int> SeedBlocks => [.. Enumerable.Range(0, Blocks)];

    [Theory]
    [MemberData(nameof(SeedBlocks))]
    public void Every_seed_keeps_every_invariant_and_finishes_every_job(int block)
    {
        var perBlock = (Seeds + Blocks - 1) / Blocks;
        for (var seed = block * perBlock; seed < Math.Min(Seeds, (block + 1) * perBlock); seed++)
        {
            new QueueSimulation(seed).Run(Steps);
        }
    }

    /// <summary>Replays one seed, e.g. one a long run or a CI failure printed.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(308)]
    [InlineData(72)]
    [InlineData(86)]
    [InlineData(221)]
    [InlineData(318)]
    [InlineData(48491)]
    [InlineData(59304)]
    [InlineData(17343)]
    [InlineData(25)] // a client sent an enqueue again while its job ran: started a second time before PlanStarts skipped held ids
    [InlineData(21938)] // the tenant paused, resumed and paused again: the model kept the first pause's notice for the second
    [InlineData(59020)]
    [InlineData(164)]
    [InlineData(301)]
    [InlineData(4)]
    [InlineData(84)]
    [InlineData(730)] // an aged job the window did not hold, offered again at its old priority by a promotion under way: misplaced
    [InlineData(12615)]
    [InlineData(26950)]
    [InlineData(37765)]
    [InlineData(51503)]
    [InlineData(62586)]
    [InlineData(75206)]
    [InlineData(88733)]
    [InlineData(453)] // a throttled key whose jobs were all past the window opened with nothing to wake the queue for it
    [InlineData(6323)] // likewise a key blocked by its rate: the reads had ended, and no job in sight armed a timer
    [InlineData(63934)] // a key rate-limited a hair short of a token: neither open nor due to open, so nothing woke the queue
    [InlineData(82013)] // the same, on another key
    [InlineData(8663)] // a read took its keys before the last one found and said the round had ended: a key past them was never read
    public void Replay(int seed) => new QueueSimulation(seed).Run(Steps);

    /// <summary>
    /// The race fixed in d4ba7d1: the sweep requeued an attempt the queue still held while it waited for
    /// a worker slot past its lease, and it ran twice. The simulator finds it under the old rule.
    /// </summary>
    [Fact]
    public void The_sweep_that_forgot_attempts_waiting_for_a_slot_is_caught() =>
        AssertCaught(SweepRule.NothingHeld, AttemptPhase.Running);

    /// <summary>
    /// The race fixed in defb6ef: the sweep left running attempts alone but requeued one whose outcome
    /// was being written, and it ran twice. The simulator finds it under the old rule.
    /// </summary>
    [Fact]
    public void The_sweep_that_forgot_attempts_being_recorded_is_caught() =>
        AssertCaught(SweepRule.RunningOnly, AttemptPhase.Recording);

    /// <summary>Runs seeds under the old rule until one breaks the sweep invariant with an attempt in <paramref name="phase"/>; every failure on the way must be that invariant.</summary>
    private static void AssertCaught(SweepRule rule, AttemptPhase phase)
    {
        for (var seed = 0; seed < 500; seed++)
        {
            try
            {
                new QueueSimulation(seed, rule).Run(Steps);
            }
            catch (SimulationFailure failure)
            {
                Assert.Contains("the sweep requeued job", failure.What);
                if (failure.What.Contains($"({phase})", StringComparison.Ordinal))
                {
                    return;
                }
            }
        }

        Assert.Fail($"No seed under {rule} requeued an attempt in {phase}.");
    }
}
