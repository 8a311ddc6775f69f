using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace OrleansJobs;

/// <summary>
/// Checks jobs where they enter the grid: names, payload and options. Every failure throws a
/// <see cref="JobValidationException"/> naming the field, before anything is stored.
/// </summary>
public static class JobValidator
{
    /// <summary>Longest tenant or job type name.</summary>
    public const int MaxNameLength = 63;

    /// <summary>Longest idempotency key.</summary>
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>Longest a job may ask its idempotency key to be kept after it ends.</summary>
    public static readonly TimeSpan MaxIdempotencyRetention = TimeSpan.FromDays(30);

    /// <summary>Most attempts a job may be given.</summary>
    public const int MaxAttemptsLimit = 100;

    /// <summary>Longest timeout a job may be given.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(24);

    /// <summary>Furthest in the future a job may be scheduled.</summary>
    public static readonly TimeSpan MaxScheduleAhead = TimeSpan.FromDays(366);

    /// <summary>How old a client-chosen job id may be: a client retries an enqueue for minutes, not days.</summary>
    public static readonly TimeSpan ChosenIdMaxAge = TimeSpan.FromHours(24);

    /// <summary>How far ahead of the silo's clock a client-chosen job id may be: the clocks of client and silo differ a little.</summary>
    public static readonly TimeSpan ChosenIdMaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>Deepest nesting a payload may have.</summary>
    private const int MaxPayloadDepth = 64;

    private static readonly JsonDocumentOptions StrictDocument = new() { MaxDepth = MaxPayloadDepth, AllowDuplicateProperties = false };

    private static readonly SearchValues<char> NameTail = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_.-");
    private static readonly SearchValues<char> NameHead = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789");

    /// <summary>Whether a tenant or job type name matches <c>^[a-z0-9][a-z0-9_.-]{0,62}$</c>.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxNameLength && NameHead.Contains(name[0]) && !name.AsSpan(1).ContainsAnyExcept(NameTail);

    /// <summary>Checks a tenant or job type name against <c>^[a-z0-9][a-z0-9_.-]{0,62}$</c>.</summary>
    public static void ValidateName(string? name, string field)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new JobValidationException(field, "required", "a name is required.");
        }

        if (!IsValidName(name))
        {
            throw new JobValidationException(
                field,
                "invalid_name",
                $"must match ^[a-z0-9][a-z0-9_.-]{{0,62}}$ (lower-case letters, digits, '_', '.', '-'; at most {MaxNameLength} characters).");
        }
    }

    /// <summary>
    /// Checks that <paramref name="payload"/> is strict JSON within the size limit: valid UTF-8, one
    /// well-formed value at most 64 levels deep, no object naming a property twice. The same rules
    /// hold in the .NET client, over HTTP and on the silo, so no layer stores what another refuses.
    /// </summary>
    public static void ValidatePayload(ReadOnlySpan<byte> payload, JobLimits limits)
    {
        if (payload.Length > limits.MaxPayloadBytes)
        {
            throw new JobValidationException(
                "payload", "too_large", $"{payload.Length} bytes is over the limit of {limits.MaxPayloadBytes} bytes.");
        }

        if (payload.IsEmpty)
        {
            throw new JobValidationException("payload", "malformed_json", "the payload is empty; send a JSON value such as {} or null.");
        }

        // The JSON reader leaves string contents undecoded, so invalid bytes would pass it and be
        // replaced or kept as sent, depending on who reads them next.
        if (!Utf8.IsValid(payload))
        {
            throw new JobValidationException("payload", "invalid_utf8", $"not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(payload)}).");
        }

        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = MaxPayloadDepth });
            reader.Read();
            reader.Skip();
            if (reader.Read())
            {
                throw new JsonException("more than one JSON value.");
            }
        }
        catch (JsonException ex)
        {
            throw new JobValidationException("payload", "malformed_json", $"not well-formed JSON: {ex.Message}");
        }

        if (payload.IndexOf((byte)'{') < 0)
        {
            return;
        }

        // Well-formed, so a failure here can only be a repeated property name: last-one-wins would
        // silently drop what the caller sent first.
        try
        {
            using var _ = JsonDocument.Parse(payload.ToArray(), StrictDocument);
        }
        catch (JsonException ex)
        {
            throw new JobValidationException("payload", "duplicate_property", $"an object names a property twice: {ex.Message}");
        }
    }

    /// <summary>Checks per-job options; <paramref name="now"/> bounds how far ahead a job may be scheduled.</summary>
    public static void ValidateOptions(EnqueueOptions options, DateTimeOffset now)
    {
        if (options.RunAt is not null && options.Delay is not null)
        {
            throw new JobValidationException("options.runAt", "conflict", "set either runAt or delay, not both.");
        }

        if (options.Delay is { } delay)
        {
            if (delay < TimeSpan.Zero)
            {
                throw new JobValidationException("options.delay", "negative", $"must not be negative (was {delay}).");
            }

            if (delay > MaxScheduleAhead)
            {
                throw new JobValidationException("options.delay", "too_far", $"must be at most {MaxScheduleAhead.TotalDays} days.");
            }
        }

        if (options.RunAt is { } runAt && runAt - now > MaxScheduleAhead)
        {
            throw new JobValidationException("options.runAt", "too_far", $"must be at most {MaxScheduleAhead.TotalDays} days ahead.");
        }

        if (options.MaxAttempts is { } attempts && (attempts < 1 || attempts > MaxAttemptsLimit))
        {
            throw new JobValidationException("options.maxAttempts", "out_of_range", $"must be between 1 and {MaxAttemptsLimit} (was {attempts}).");
        }

        if (options.Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > MaxTimeout))
        {
            throw new JobValidationException("options.timeout", "out_of_range", $"must be above zero and at most {MaxTimeout} (was {timeout}).");
        }

        if (!Enum.IsDefined(options.Priority))
        {
            throw new JobValidationException("options.priority", "out_of_range", $"'{options.Priority}' is not a priority.");
        }

        if (options.IdempotencyKey is { } key)
        {
            ValidateKey("options.idempotencyKey", key);
        }

        if (options.PartitionKey is { } partition)
        {
            ValidateKey("options.partitionKey", partition);
        }

        ValidateDedup(options);
        if (options.IdempotencyRetention is { } retention)
        {
            if (options.IdempotencyKey is null)
            {
                throw new JobValidationException("options.idempotencyRetention", "requires_key", "applies to an idempotency key; set options.idempotencyKey too.");
            }

            if (retention < TimeSpan.Zero || retention > MaxIdempotencyRetention)
            {
                throw new JobValidationException("options.idempotencyRetention", "out_of_range", $"must be between 0 and {MaxIdempotencyRetention.TotalDays:F0} days (was {retention}).");
            }
        }
    }

    private static void ValidateDedup(EnqueueOptions options)
    {
        if (!Enum.IsDefined(options.Dedup))
        {
            throw new JobValidationException("options.dedup", "out_of_range", $"'{options.Dedup}' is not a dedup mode.");
        }

        if (options.Dedup == DedupMode.Idempotent)
        {
            if (options.DedupWindow is not null)
            {
                throw new JobValidationException("options.dedupWindow", "requires_mode", "applies to the throttle and debounce modes; set options.dedup too.");
            }

            return;
        }

        if (options.IdempotencyKey is null)
        {
            throw new JobValidationException("options.dedup", "requires_key", "folds enqueues by their idempotency key; set options.idempotencyKey too.");
        }

        if (options.DedupWindow is not { } window)
        {
            throw new JobValidationException("options.dedupWindow", "required", $"the {options.Dedup.ToString().ToLowerInvariant()} mode needs its window.");
        }

        InRange("options.dedupWindow", window, TimeSpan.FromSeconds(1), MaxIdempotencyRetention);
        if (options.IdempotencyRetention is not null)
        {
            throw new JobValidationException("options.idempotencyRetention", "conflict", "the throttle and debounce modes keep the key for their window; leave idempotencyRetention unset.");
        }

        if (options.Dedup == DedupMode.Debounce && (options.RunAt is not null || options.Delay is not null))
        {
            throw new JobValidationException("options.dedup", "conflict", "a debounced job runs once its window has passed quietly; leave runAt and delay unset.");
        }
    }

    private static void ValidateKey(string field, string key)
    {
        if (key.Length == 0 || key.Length > MaxIdempotencyKeyLength)
        {
            throw new JobValidationException(field, "out_of_range", $"must be 1 to {MaxIdempotencyKeyLength} characters.");
        }

        foreach (var c in key)
        {
            if (c < 0x21 || c > 0x7E)
            {
                throw new JobValidationException(field, "invalid_characters", "must be printable ASCII without spaces.");
            }
        }
    }

    /// <summary>
    /// Checks an id a client chose for its job (<see cref="JobSubmission.Id"/>): a UUID v7 made within
    /// the last day and not more than a few minutes ahead of <paramref name="now"/>, since ids order
    /// jobs by time and retention finds finished jobs by their id's time.
    /// </summary>
    public static void ValidateChosenId(JobId id, DateTimeOffset now)
    {
        if (id.Value.Version != 7)
        {
            throw new JobValidationException("id", "invalid", "must be a UUID version 7.");
        }

        var made = id.CreatedAt;
        if (made < now - ChosenIdMaxAge || made > now + ChosenIdMaxSkew)
        {
            throw new JobValidationException("id", "out_of_range", $"was made at {made:O}; a chosen id must be made within {ChosenIdMaxAge.TotalHours} h before and {ChosenIdMaxSkew.TotalMinutes} min after the silo's clock ({now:O}).");
        }
    }

    /// <summary>Checks the size of a bulk enqueue: how many jobs, and their payload bytes together.</summary>
    public static void ValidateBatch(int count, long payloadBytes, JobLimits limits)
    {
        if (count > limits.MaxBatchSize)
        {
            throw new JobValidationException("jobs", "too_many", $"{count} jobs is over the bulk limit of {limits.MaxBatchSize}.");
        }

        if (payloadBytes > limits.MaxBatchBytes)
        {
            throw new JobValidationException("jobs", "too_large", $"{payloadBytes} payload bytes is over the bulk limit of {limits.MaxBatchBytes}; send smaller batches.");
        }
    }

    /// <summary>Checks a queue policy override; every field is optional.</summary>
    public static void ValidatePolicy(QueuePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.MaxConcurrency is { } concurrency && (concurrency < 1 || concurrency > 10_000))
        {
            throw new JobValidationException("policy.maxConcurrency", "out_of_range", $"must be between 1 and 10000 (was {concurrency}).");
        }

        if (policy.RatePerSecond is { } rate && (!(rate > 0) || rate > 1_000_000))
        {
            throw new JobValidationException("policy.ratePerSecond", "out_of_range", $"must be above 0 and at most 1000000 (was {rate}).");
        }

        if (policy.Burst is { } burst && (burst < 1 || burst > 1_000_000))
        {
            throw new JobValidationException("policy.burst", "out_of_range", $"must be between 1 and 1000000 (was {burst}).");
        }

        if (policy.MaxBacklog is { } backlog && (backlog < 1 || backlog > 1_000_000_000))
        {
            throw new JobValidationException("policy.maxBacklog", "out_of_range", $"must be between 1 and 1000000000 (was {backlog}).");
        }

        if (policy.MaxAttempts is { } attempts && (attempts < 1 || attempts > MaxAttemptsLimit))
        {
            throw new JobValidationException("policy.maxAttempts", "out_of_range", $"must be between 1 and {MaxAttemptsLimit} (was {attempts}).");
        }

        if (policy.Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > MaxTimeout))
        {
            throw new JobValidationException("policy.timeout", "out_of_range", $"must be above zero and at most {MaxTimeout} (was {timeout}).");
        }

        if (policy.Overflow is { } overflow && !Enum.IsDefined(overflow))
        {
            throw new JobValidationException("policy.overflow", "out_of_range", $"'{overflow}' is not an overflow policy.");
        }

        if (policy.AdaptiveConcurrency is { } adaptive)
        {
            ValidateAdaptive(adaptive);
        }

        if (policy.CircuitBreaker is { } breaker)
        {
            ValidateBreaker(breaker);
        }

        if (policy.PriorityAging is { } aging && aging != TimeSpan.Zero)
        {
            InRange("policy.priorityAging", aging, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        }

        if (policy.Partitions is { } partitions)
        {
            InRange("policy.partitions.maxConcurrency", partitions.MaxConcurrency, 1, 10_000);
            if (partitions.RatePerSecond is { } keyRate)
            {
                if (!(keyRate > 0) || keyRate > 1_000_000)
                {
                    throw new JobValidationException("policy.partitions.ratePerSecond", "out_of_range", $"must be above 0 and at most 1000000 (was {keyRate}).");
                }
            }

            if (partitions.Burst is { } keyBurst)
            {
                InRange("policy.partitions.burst", keyBurst, 1, 1_000_000);
            }
        }
    }

    private static void ValidateAdaptive(AdaptiveConcurrencyPolicy adaptive)
    {
        InRange("policy.adaptiveConcurrency.minConcurrency", adaptive.MinConcurrency, 1, 10_000);
        InRange("policy.adaptiveConcurrency.latencyTolerance", adaptive.LatencyTolerance, 1.1, 100);
        InRange("policy.adaptiveConcurrency.backoff", adaptive.Backoff, 0.5, 0.99);
    }

    private static void ValidateBreaker(CircuitBreakerPolicy breaker)
    {
        if (!(breaker.FailureRatio > 0 && breaker.FailureRatio <= 1))
        {
            throw new JobValidationException("policy.circuitBreaker.failureRatio", "out_of_range", $"must be above 0 and at most 1 (was {breaker.FailureRatio}).");
        }

        InRange("policy.circuitBreaker.minimumAttempts", breaker.MinimumAttempts, 1, 100_000);
        InRange("policy.circuitBreaker.samplingWindow", breaker.SamplingWindow, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        InRange("policy.circuitBreaker.breakFor", breaker.BreakFor, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        InRange("policy.circuitBreaker.probes", breaker.Probes, 1, 100);
    }

    private static void InRange<T>(string field, T value, T min, T max)
        where T : IComparable<T>
    {
        // CompareTo sorts NaN below every number, so a NaN is refused as under the minimum.
        if (!(value.CompareTo(min) >= 0 && value.CompareTo(max) <= 0))
        {
            throw new JobValidationException(field, "out_of_range", $"must be between {min} and {max} (was {value}).");
        }
    }

    /// <summary>
    /// Checks a recurring job: names, cron expression and time zone, payload and job options. Returns
    /// the parsed schedule; throws <see cref="JobValidationException"/> naming the field.
    /// </summary>
    internal static CronSchedule ValidateSchedule(RecurringJob schedule, JobLimits limits, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ValidateName(schedule.Tenant, "tenant");
        ValidateName(schedule.Id, "id");
        ValidateName(schedule.JobType, "jobType");
        if (string.IsNullOrWhiteSpace(schedule.TimeZone))
        {
            // An empty zone once read as UTC silently; a schedule's zone is stated, never guessed.
            throw new JobValidationException("timeZone", "required", "a time zone is required: an IANA id such as Europe/Paris, or UTC.");
        }

        var cron = CronSchedule.Parse(schedule.Cron, schedule.TimeZone, now);
        ValidatePayload(schedule.Payload ?? [], limits);
        try
        {
            ValidateOptions(ToEnqueueOptions(schedule, key: null), now);
        }
        catch (JobValidationException ex)
        {
            throw new JobValidationException(ex.Field["options.".Length..], ex.Code, ex.Message);
        }

        if (!Enum.IsDefined(schedule.Misfire))
        {
            throw new JobValidationException("misfire", "out_of_range", $"'{schedule.Misfire}' is not a misfire policy.");
        }

        return cron;
    }

    /// <summary>The options of the job a schedule enqueues for one occurrence.</summary>
    internal static EnqueueOptions ToEnqueueOptions(RecurringJob schedule, string? key) => new()
    {
        Priority = schedule.Priority,
        MaxAttempts = schedule.MaxAttempts,
        Timeout = schedule.Timeout,
        IdempotencyKey = key,
    };

    /// <summary>Checks a tenant policy override; throws <see cref="JobValidationException"/> naming the field.</summary>
    public static void ValidateTenantPolicy(TenantPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.MaxInFlight is { } inFlight && (inFlight < 1 || inFlight > 100_000))
        {
            throw new JobValidationException("policy.maxInFlight", "out_of_range", $"must be between 1 and 100000 (was {inFlight}).");
        }
    }

    /// <summary>Checks everything about one job except whether its type has a handler.</summary>
    public static void Validate(string tenant, string jobType, ReadOnlySpan<byte> payload, EnqueueOptions options, JobLimits limits, DateTimeOffset now)
    {
        ValidateName(tenant, "tenant");
        ValidateName(jobType, "jobType");
        ValidatePayload(payload, limits);
        ValidateOptions(options, now);
    }

    /// <summary>The offset of the first byte that does not belong to a valid UTF-8 sequence.</summary>
    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length && Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }

        return offset;
    }
}
