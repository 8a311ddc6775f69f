namespace OrleansJobs;

/// <summary>Where a job is in its life. The numbers are stored; never renumber them.</summary>
public enum JobState
{
    /// <summary>Waiting for its run-at time (a delayed job or a retry).</summary>
    Scheduled = 0,

    /// <summary>Due and waiting for a free handler slot.</summary>
    Enqueued = 1,

    /// <summary>A handler is running it under a lease.</summary>
    Active = 2,

    /// <summary>A handler finished it without error. Final.</summary>
    Succeeded = 3,

    /// <summary>Cancelled before it ran. Final.</summary>
    Cancelled = 4,

    /// <summary>Out of attempts or failed without retry; in the dead-letter queue until a person replays it.</summary>
    Dead = 5,
}

/// <summary>How soon a job runs relative to other due jobs of its queue.</summary>
public enum JobPriority
{
    /// <summary>Runs before every normal and low job that is due.</summary>
    High = 0,

    /// <summary>The default.</summary>
    Normal = 1,

    /// <summary>Runs only when no high or normal job is due.</summary>
    Low = 2,
}
