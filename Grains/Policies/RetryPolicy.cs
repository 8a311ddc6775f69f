namespace OrleansJobs.Policies;

/// <summary>
/// Exponential backoff with "equal" jitter: the n-th retry waits a random time in
/// [d/2, d] where d = min(MaxDelay, BaseDelay × Factor^(n-1)). Half of each delay is random, so
/// jobs that failed together spread out, and with Factor ≥ 2 no delay is shorter than the one
/// before it until MaxDelay caps them.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>The nominal delay before the first retry. <value>Defaults to 1 second.</value></summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay. <value>Defaults to 1 hour.</value></summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Growth per retry; at least 1. <value>Defaults to 2.</value></summary>
    public double Factor { get; init; } = 2;

    /// <summary>The nominal (largest) delay after failed attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan NominalDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        // Computed in doubles and capped before converting, so huge attempts cannot overflow.
        var ms = BaseDelay.TotalMilliseconds * Math.Pow(Factor, attempt - 1);
        return ms >= MaxDelay.TotalMilliseconds || double.IsInfinity(ms) ? MaxDelay : TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>The delay after failed attempt <paramref name="attempt"/>, drawing the jitter from <paramref name="random"/>.</summary>
    public TimeSpan NextDelay(int attempt, Random random)
    {
        var nominal = NominalDelay(attempt);
        return nominal / 2 + nominal / 2 * random.NextDouble();
    }

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (BaseDelay <= TimeSpan.Zero || MaxDelay < BaseDelay || Factor < 1 || double.IsNaN(Factor))
        {
            throw new ArgumentException($"Retry policy needs BaseDelay > 0, MaxDelay >= BaseDelay and Factor >= 1 (got {BaseDelay}, {MaxDelay}, {Factor}).");
        }
    }
}
