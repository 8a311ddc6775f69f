using OrleansJobs.Execution;

namespace OrleansJobs.Tests.Unit;

public sealed class TraceRelationTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData(1, 0, true)]
    [InlineData(1, 60, true)]
    [InlineData(1, 61, false)]
    [InlineData(2, 0, false)]
    [InlineData(5, 3600, false)]
    public void Only_a_prompt_first_attempt_joins_the_enqueuing_trace(int attempt, int secondsSinceEnqueue, bool child) =>
        Assert.Equal(child, TraceRelation.IsChild(attempt, TimeSpan.FromSeconds(secondsSinceEnqueue), Window));
}
