namespace OrleansJobs.Diagnostics;

/// <summary>Event ids of every log message the grid writes; never renumber.</summary>
internal enum LogEvents
{
    JobStarting = 1000,
    JobSucceeded = 1001,
    JobRetrying = 1002,
    JobDeadLettered = 1003,
    JobCancelled = 1004,
    StaleLease = 1005,
    QueueRecovered = 1010,
    LeasesExpired = 1011,
    NoHandler = 1012,
    StoreError = 1013,
    ReminderError = 1014,
    Draining = 1015,
    DrainIncomplete = 1016,
    PolicyChanged = 1017,
    CancelRequested = 1018,
    JobShed = 1019,
    PermitSyncFailed = 1020,
    GroupCommitFailed = 1100,
    Replayed = 1200,
    QueuesWoken = 1300,
    WakeFailed = 1301,
    SiloDeclaredDead = 1302,
    TenantPolicyChanged = 1400,
}
