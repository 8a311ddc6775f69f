using System.Security.Cryptography;

namespace OrleansJobs;

/// <summary>
/// Makes UUID v7 job ids that strictly increase within a process, even when many are made in the
/// same millisecond: the 12 bits after the timestamp count up (RFC 9562, method 1) and the clock
/// is borrowed from when they run out, so ids never go backwards if the wall clock does.
/// </summary>
public sealed class JobIdGenerator
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _lastMs;
    private int _counter;

    /// <summary>Creates a generator that reads the time from <paramref name="time"/>.</summary>
    public JobIdGenerator(TimeProvider time) => _time = time;

    /// <summary>A generator on the system clock.</summary>
    public static JobIdGenerator Shared { get; } = new(TimeProvider.System);

    /// <summary>Returns a new id, greater than every id this instance returned before.</summary>
    public JobId Next()
    {
        long ms;
        int counter;
        lock (_lock)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now > _lastMs)
            {
                _lastMs = now;
                // Start low in the 12-bit space so a burst in one millisecond rarely borrows time.
                _counter = RandomNumberGenerator.GetInt32(0, 256);
            }
            else if (++_counter > 0xFFF)
            {
                _lastMs++;
                _counter = 0;
            }

            ms = _lastMs;
            counter = _counter;
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        bytes[0] = (byte)(ms >> 40);
        bytes[1] = (byte)(ms >> 32);
        bytes[2] = (byte)(ms >> 24);
        bytes[3] = (byte)(ms >> 16);
        bytes[4] = (byte)(ms >> 8);
        bytes[5] = (byte)ms;
        bytes[6] = (byte)(0x70 | (counter >> 8));
        bytes[7] = (byte)counter;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return JobId.FromBytes(bytes);
    }
}
