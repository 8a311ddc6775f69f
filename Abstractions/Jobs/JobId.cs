namespace OrleansJobs;

/// <summary>
/// Identifies one job. A UUID version 7: ids created later sort after ids created earlier,
/// both as <see cref="Guid"/> values and as their big-endian bytes and text.
/// </summary>
[GenerateSerializer, Immutable]
[System.Text.Json.Serialization.JsonConverter(typeof(JobIdJsonConverter))]
public readonly record struct JobId([property: Id(0)] Guid Value) : IComparable<JobId>
{
    /// <summary>Parses the text form produced by <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">The text is not a job id.</exception>
    public static JobId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not a job id.");

    /// <summary>Parses the text form produced by <see cref="ToString"/>, returning false for anything else.</summary>
    public static bool TryParse(string? text, out JobId id)
    {
        if (Guid.TryParseExact(text, "D", out var guid) && guid.Version == 7)
        {
            id = new JobId(guid);
            return true;
        }

        id = default;
        return false;
    }

    /// <summary>The id as 16 big-endian bytes, whose byte order is the id's time order.</summary>
    public byte[] ToBytes() => Value.ToByteArray(bigEndian: true);

    /// <summary>Reads an id from the bytes written by <see cref="ToBytes"/>.</summary>
    public static JobId FromBytes(ReadOnlySpan<byte> bytes) => new(new Guid(bytes, bigEndian: true));

    /// <summary>The smallest id that can be made at <paramref name="time"/>'s millisecond: every id made before it is smaller.</summary>
    public static JobId MinAt(DateTimeOffset time)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = time.ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(ms >> (40 - (8 * i)));
        }

        bytes[6] = 0x70;
        bytes[8] = 0x80;
        return FromBytes(bytes);
    }

    /// <summary>The millisecond the id was made at, read from its first 48 bits.</summary>
    public DateTimeOffset CreatedAt
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            Value.TryWriteBytes(bytes, bigEndian: true, out _);
            long ms = 0;
            for (var i = 0; i < 6; i++)
            {
                ms = (ms << 8) | bytes[i];
            }

            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }
    }

    /// <inheritdoc />
    public int CompareTo(JobId other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => Value.ToString("D");
}
