using System.Text;

namespace OrleansJobs.Tests.Unit;

public sealed class JobValidatorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private static readonly byte[] Json = "{\"a\":1}"u8.ToArray();

    [Theory]
    [InlineData("acme")]
    [InlineData("a")]
    [InlineData("0tenant")]
    [InlineData("email.send")]
    [InlineData("a_b-c.d")]
    public void Good_names_pass(string name) => JobValidator.ValidateName(name, "tenant");

    [Theory]
    [InlineData("", "required")]
    [InlineData(null, "required")]
    [InlineData("Acme", "invalid_name")]
    [InlineData("-acme", "invalid_name")]
    [InlineData(".acme", "invalid_name")]
    [InlineData("acme/other", "invalid_name")]
    [InlineData("acme corp", "invalid_name")]
    [InlineData("acme\n", "invalid_name")]
    [InlineData("../etc", "invalid_name")]
    [InlineData("ac'me;drop table", "invalid_name")]
    [InlineData("ácme", "invalid_name")]
    public void Hostile_or_malformed_names_are_refused_naming_the_field(string? name, string code)
    {
        var error = Assert.Throws<JobValidationException>(() => JobValidator.ValidateName(name, "tenant"));
        Assert.Equal("tenant", error.Field);
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void Names_longer_than_63_characters_are_refused()
    {
        JobValidator.ValidateName(new string('a', 63), "jobType");
        var error = Assert.Throws<JobValidationException>(() => JobValidator.ValidateName(new string('a', 64), "jobType"));
        Assert.Equal("jobType", error.Field);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("null")]
    [InlineData("[1,2,3]")]
    [InlineData("\"text\"")]
    [InlineData("  {\"nested\":{\"x\":[true,false]}}  ")]
    public void Well_formed_json_passes(string json) => JobValidator.ValidatePayload(Encoding.UTF8.GetBytes(json), JobLimits.Default);

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"a\":}")]
    [InlineData("{} {}")]
    [InlineData("not json")]
    [InlineData("{'single':'quotes'}")]
    public void Malformed_json_is_refused(string json)
    {
        var error = Assert.Throws<JobValidationException>(() => JobValidator.ValidatePayload(Encoding.UTF8.GetBytes(json), JobLimits.Default));
        Assert.Equal("payload", error.Field);
        Assert.Equal("malformed_json", error.Code);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'"', 0xC3, (byte)'"' }, 1)]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xFF, (byte)'"', (byte)'}' }, 6)]
    [InlineData(new byte[] { (byte)'"', 0xED, 0xA0, 0x80, (byte)'"' }, 1)]
    public void Invalid_utf8_is_refused_with_where_it_starts(byte[] payload, int offset)
    {
        var error = Assert.Throws<JobValidationException>(() => JobValidator.ValidatePayload(payload, JobLimits.Default));
        Assert.Equal(("payload", "invalid_utf8"), (error.Field, error.Code));
        Assert.Contains($"offset {offset}", error.Message);
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("[{\"ok\":1},{\"x\":{\"y\":1,\"y\":1}}]")]
    [InlineData("{\"\\u0061\":1,\"a\":2}")]
    public void A_property_named_twice_is_refused(string json)
    {
        var error = Assert.Throws<JobValidationException>(() => JobValidator.ValidatePayload(Encoding.UTF8.GetBytes(json), JobLimits.Default));
        Assert.Equal(("payload", "duplicate_property"), (error.Field, error.Code));
    }

    [Fact]
    public void The_same_name_in_different_objects_and_non_ascii_text_pass() =>
        JobValidator.ValidatePayload(Encoding.UTF8.GetBytes("{\"a\":{\"a\":1},\"b\":[{\"a\":2},{\"a\":3}],\"text\":\"Grüße, 世界 🎉\"}"), JobLimits.Default);

    [Fact]
    public void Nesting_deeper_than_64_levels_is_refused()
    {
        JobValidator.ValidatePayload(Encoding.UTF8.GetBytes(new string('[', 64) + new string(']', 64)), JobLimits.Default);
        var error = Assert.Throws<JobValidationException>(() => JobValidator.ValidatePayload(Encoding.UTF8.GetBytes(new string('[', 65) + new string(']', 65)), JobLimits.Default));
        Assert.Equal(("payload", "malformed_json"), (error.Field, error.Code));
    }

    [Fact]
    public void Payload_over_the_limit_is_refused_and_at_the_limit_passes()
    {
        var limits = new JobLimits { MaxPayloadBytes = 100 };
        var atLimit = Encoding.UTF8.GetBytes("\"" + new string('x', 98) + "\"");
        JobValidator.ValidatePayload(atLimit, limits);
        var over = Encoding.UTF8.GetBytes("\"" + new string('x', 99) + "\"");
        var error = Assert.Throws<JobValidationException>(() => JobValidator.ValidatePayload(over, limits));
        Assert.Equal(("payload", "too_large"), (error.Field, error.Code));
    }

    [Fact]
    public void Bulk_enqueues_are_limited_in_count_and_in_bytes()
    {
        var limits = new JobLimits { MaxBatchSize = 10, MaxBatchBytes = 1_000 };
        JobValidator.ValidateBatch(10, 1_000, limits);
        Assert.Equal("too_many", Assert.Throws<JobValidationException>(() => JobValidator.ValidateBatch(11, 10, limits)).Code);
        var bytes = Assert.Throws<JobValidationException>(() => JobValidator.ValidateBatch(2, 1_001, limits));
        Assert.Equal(("jobs", "too_large"), (bytes.Field, bytes.Code));
    }

    [Fact]
    public void Default_payload_limit_is_256_KiB() => Assert.Equal(256 * 1024, JobLimits.Default.MaxPayloadBytes);

    public static TheoryData<EnqueueOptions, string, string> BadOptions => new()
    {
        { new EnqueueOptions { Delay = TimeSpan.FromSeconds(-1) }, "options.delay", "negative" },
        { new EnqueueOptions { Delay = TimeSpan.FromDays(400) }, "options.delay", "too_far" },
        { new EnqueueOptions { RunAt = Now.AddDays(400) }, "options.runAt", "too_far" },
        { new EnqueueOptions { RunAt = Now, Delay = TimeSpan.FromSeconds(1) }, "options.runAt", "conflict" },
        { new EnqueueOptions { MaxAttempts = 0 }, "options.maxAttempts", "out_of_range" },
        { new EnqueueOptions { MaxAttempts = -3 }, "options.maxAttempts", "out_of_range" },
        { new EnqueueOptions { MaxAttempts = 101 }, "options.maxAttempts", "out_of_range" },
        { new EnqueueOptions { Timeout = TimeSpan.Zero }, "options.timeout", "out_of_range" },
        { new EnqueueOptions { Timeout = TimeSpan.FromDays(2) }, "options.timeout", "out_of_range" },
        { new EnqueueOptions { Priority = (JobPriority)7 }, "options.priority", "out_of_range" },
        { new EnqueueOptions { IdempotencyKey = "" }, "options.idempotencyKey", "out_of_range" },
        { new EnqueueOptions { IdempotencyKey = new string('k', 201) }, "options.idempotencyKey", "out_of_range" },
        { new EnqueueOptions { IdempotencyKey = "has space" }, "options.idempotencyKey", "invalid_characters" },
        { new EnqueueOptions { PartitionKey = "" }, "options.partitionKey", "out_of_range" },
        { new EnqueueOptions { Dedup = (DedupMode)7, IdempotencyKey = "k", DedupWindow = TimeSpan.FromMinutes(1) }, "options.dedup", "out_of_range" },
        { new EnqueueOptions { Dedup = DedupMode.Throttle, DedupWindow = TimeSpan.FromMinutes(1) }, "options.dedup", "requires_key" },
        { new EnqueueOptions { Dedup = DedupMode.Debounce, IdempotencyKey = "k" }, "options.dedupWindow", "required" },
        { new EnqueueOptions { Dedup = DedupMode.Throttle, IdempotencyKey = "k", DedupWindow = TimeSpan.FromMilliseconds(10) }, "options.dedupWindow", "out_of_range" },
        { new EnqueueOptions { DedupWindow = TimeSpan.FromMinutes(1), IdempotencyKey = "k" }, "options.dedupWindow", "requires_mode" },
        { new EnqueueOptions { Dedup = DedupMode.Throttle, IdempotencyKey = "k", DedupWindow = TimeSpan.FromMinutes(1), IdempotencyRetention = TimeSpan.Zero }, "options.idempotencyRetention", "conflict" },
        { new EnqueueOptions { Dedup = DedupMode.Debounce, IdempotencyKey = "k", DedupWindow = TimeSpan.FromMinutes(1), Delay = TimeSpan.FromSeconds(5) }, "options.dedup", "conflict" },
        { new EnqueueOptions { PartitionKey = "host with space" }, "options.partitionKey", "invalid_characters" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_are_refused_naming_the_field(EnqueueOptions options, string field, string code)
    {
        var error = Assert.Throws<JobValidationException>(() => JobValidator.ValidateOptions(options, Now));
        Assert.Equal((field, code), (error.Field, error.Code));
        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void Good_options_pass() => JobValidator.ValidateOptions(
        new EnqueueOptions { Delay = TimeSpan.Zero, MaxAttempts = 100, Timeout = TimeSpan.FromHours(24), Priority = JobPriority.Low, IdempotencyKey = "order-42:v1" },
        Now);

    [Fact]
    public void Validate_checks_names_before_payload()
    {
        var error = Assert.Throws<JobValidationException>(() => JobValidator.Validate("acme", "Bad Type", "{"u8, new EnqueueOptions(), JobLimits.Default, Now));
        Assert.Equal("jobType", error.Field);
        JobValidator.Validate("acme", "email.send", Json, new EnqueueOptions(), JobLimits.Default, Now);
    }

    [Fact]
    public void Unknown_job_type_error_names_the_field_and_type()
    {
        var error = new UnknownJobTypeException("no.such");
        Assert.Equal(("jobType", "unknown_job_type", "no.such"), (error.Field, error.Code, error.JobType));
    }

    [Fact]
    public void Queue_key_round_trips_and_refuses_bad_names()
    {
        Assert.Equal(new QueueKey("acme", "email.send"), QueueKey.Parse("acme/email.send"));
        Assert.Equal("acme/email.send", new QueueKey("acme", "email.send").ToString());
        Assert.Throws<JobValidationException>(() => QueueKey.Parse("acme"));
        Assert.Throws<JobValidationException>(() => QueueKey.Parse("acme/a/b"));
    }
}
