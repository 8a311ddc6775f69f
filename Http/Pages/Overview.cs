using System.ComponentModel;
using OrleansJobs.Storage;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// The overview page's content: the last hour of a tenant (or of all tenants) a minute at a time, the
/// queues past their wait objective, and the queues that failed most. Built by <see cref="Build"/> from the
/// stored history; public only because Razor components are.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record Overview
{
    internal Overview(Chart rates, Chart backlog, OverviewTotals totals, IReadOnlyList<QueueBehind> behind, int queuesSampled, IReadOnlyList<QueueFailing> failing)
    {
        Rates = rates;
        Backlog = backlog;
        Totals = totals;
        Behind = behind;
        QueuesSampled = queuesSampled;
        Failing = failing;
    }

    /// <summary>Enqueued, succeeded, failed and dead-lettered per second, each minute.</summary>
    public Chart Rates { get; }

    /// <summary>Due jobs waiting, each minute.</summary>
    public Chart Backlog { get; }

    /// <summary>The window's sums and the backlog now.</summary>
    public OverviewTotals Totals { get; }

    /// <summary>Queues whose oldest due job waited longer than their objective, furthest past it first.</summary>
    public IReadOnlyList<QueueBehind> Behind { get; }

    /// <summary>How many queues reported their levels lately (those <see cref="Behind"/> was picked from).</summary>
    public int QueuesSampled { get; }

    /// <summary>Queues with dead letters or failed attempts in the window, most dead letters first.</summary>
    public IReadOnlyList<QueueFailing> Failing { get; }

    /// <summary>Queues <see cref="Failing"/> lists at most.</summary>
    internal const int MaxFailing = 10;

    /// <summary>
    /// Turns the history into the page: <paramref name="minutes"/> whole minutes ending with the one
    /// <paramref name="now"/> is in (whose rate is over the seconds gone so far), minutes without a row as zeros.
    /// </summary>
    internal static Overview Build(QueueHistory history, Func<string, TimeSpan> objective, DateTimeOffset now, int minutes)
    {
        var current = QueueMinute.StartOf(now);
        var first = current.AddMinutes(-(minutes - 1));
        var axis = Enumerable.Range(0, minutes).Select(i => first.AddMinutes(i)).ToArray();
        var inWindow = history.Minutes.Where(m => m.Minute >= first).ToList();
        var byMinute = inWindow.ToDictionary(m => m.Minute);
        var elapsedInCurrent = Math.Max(1, (now - current).TotalSeconds);
        double Rate(DateTimeOffset minute, Func<MinuteTotals, long> pick) =>
            byMinute.TryGetValue(minute, out var row) ? pick(row) / (minute == current ? elapsedInCurrent : 60) : 0;
        List<double> Line(Func<MinuteTotals, long> pick) => [.. axis.Select(m => Rate(m, pick))];

        var rates = new Chart("Jobs per second", "jobs/s", axis,
        [
            new ChartLine("Enqueued", "enqueued", Line(m => m.Enqueued)),
            new ChartLine("Succeeded", "succeeded", Line(m => m.Succeeded)),
            new ChartLine("Failed attempts", "failed", Line(m => m.Failed)),
            new ChartLine("Dead-lettered", "dead", Line(m => m.DeadLettered)),
        ]);
        var backlog = new Chart("Backlog", "jobs", axis,
            [new ChartLine("Due jobs waiting", "backlog", [.. axis.Select(m => byMinute.TryGetValue(m, out var row) ? (double)row.Backlog : 0)])]);

        var totals = new OverviewTotals(
            inWindow.Sum(m => m.Enqueued),
            inWindow.Sum(m => m.Succeeded),
            inWindow.Sum(m => m.Failed),
            inWindow.Sum(m => m.DeadLettered),
            history.Levels.Sum(l => l.Backlog));

        var behind = history.Levels
            .Select(l => (Level: l, Objective: objective(l.Queue.JobType)))
            .Where(x => x.Level.OldestWait > x.Objective)
            .OrderByDescending(x => x.Level.OldestWait!.Value / x.Objective)
            .ThenBy(x => x.Level.Queue.ToString(), StringComparer.Ordinal)
            .Select(x => new QueueBehind(x.Level.Queue.Tenant, x.Level.Queue.JobType, x.Level.Backlog, x.Level.OldestWait!.Value, x.Objective))
            .ToList();
        var failing = history.Queues
            .Where(q => q.DeadLettered > 0 || q.Failed > 0)
            .Take(MaxFailing)
            .Select(q => new QueueFailing(q.Queue.Tenant, q.Queue.JobType, q.Succeeded, q.Failed, q.DeadLettered))
            .ToList();
        return new Overview(rates, backlog, totals, behind, history.Levels.Count, failing);
    }
}

/// <summary>The window's sums of what was counted, and the backlog as last sampled.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record OverviewTotals(long Enqueued, long Succeeded, long Failed, long DeadLettered, long BacklogNow);

/// <summary>A queue whose oldest due job has waited <see cref="OldestWait"/>, past its <see cref="Objective"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record QueueBehind(string Tenant, string JobType, long Backlog, TimeSpan OldestWait, TimeSpan Objective);

/// <summary>A queue's attempts that succeeded and failed and its jobs dead-lettered in the window.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record QueueFailing(string Tenant, string JobType, long Succeeded, long Failed, long DeadLettered);

/// <summary>A line chart over minutes: one value per minute of <see cref="Minutes"/> in each line.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record Chart(string Title, string Unit, IReadOnlyList<DateTimeOffset> Minutes, IReadOnlyList<ChartLine> Lines);

/// <summary>One line: its name, its style's name (the CSS class that colours and dashes it) and its values.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record ChartLine(string Name, string Style, IReadOnlyList<double> Values);
