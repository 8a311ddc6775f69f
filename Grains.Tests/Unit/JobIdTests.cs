using Microsoft.Extensions.Time.Testing;

namespace OrleansJobs.Tests.Unit;

public sealed class JobIdTests
{
    [Fact]
    public void Ids_made_in_one_millisecond_strictly_increase_in_every_form()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var generator = new JobIdGenerator(clock);
        var ids = Enumerable.Range(0, 10_000).Select(_ => generator.Next()).ToList();

        for (var i = 1; i < ids.Count; i++)
        {
            Assert.True(ids[i].CompareTo(ids[i - 1]) > 0, $"id {i} does not sort after id {i - 1}");
            Assert.True(ids[i].ToBytes().AsSpan().SequenceCompareTo(ids[i - 1].ToBytes()) > 0, "big-endian bytes out of order");
            Assert.True(string.CompareOrdinal(ids[i].ToString(), ids[i - 1].ToString()) > 0, "text out of order");
        }
    }

    [Fact]
    public void Ids_follow_the_clock_and_never_go_back_when_it_does()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var generator = new JobIdGenerator(clock);
        var first = generator.Next();
        clock.Advance(TimeSpan.FromSeconds(1));
        var later = generator.Next();
        clock.AdjustTime(clock.GetUtcNow() - TimeSpan.FromMinutes(5));
        var afterClockWentBack = generator.Next();

        Assert.True(later.CompareTo(first) > 0);
        Assert.True(afterClockWentBack.CompareTo(later) > 0);
    }

    [Fact]
    public void Ids_are_version_7_and_carry_their_creation_time()
    {
        var at = DateTimeOffset.Parse("2026-03-04T05:06:07.089Z");
        var id = new JobIdGenerator(new FakeTimeProvider(at)).Next();
        Assert.Equal(7, id.Value.Version);
        var bytes = id.ToBytes();
        var ms = 0L;
        for (var i = 0; i < 6; i++)
        {
            ms = (ms << 8) | bytes[i];
        }

        Assert.Equal(at.ToUnixTimeMilliseconds(), ms);
    }

    [Fact]
    public void Text_and_bytes_round_trip()
    {
        var id = JobIdGenerator.Shared.Next();
        Assert.Equal(id, JobId.Parse(id.ToString()));
        Assert.Equal(id, JobId.FromBytes(id.ToBytes()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-id")]
    [InlineData("6f9619ff-8b86-d011-b42d-00c04fc964ff")]
    public void Parse_refuses_anything_but_a_v7_id(string text)
    {
        Assert.False(JobId.TryParse(text, out _));
        Assert.Throws<FormatException>(() => JobId.Parse(text));
    }

    [Fact]
    public void MinAt_sorts_after_every_id_made_earlier_and_before_every_id_made_then_or_later()
    {
        var at = DateTimeOffset.Parse("2026-01-01T00:00:00.500Z");
        var clock = new FakeTimeProvider(at.AddMilliseconds(-1));
        var generator = new JobIdGenerator(clock);
        var earlier = Enumerable.Range(0, 100).Select(_ => generator.Next()).ToList();
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var later = Enumerable.Range(0, 100).Select(_ => generator.Next()).ToList();
        var bound = JobId.MinAt(at);

        Assert.Equal(7, bound.Value.Version);
        Assert.All(earlier, id => Assert.True(id.ToBytes().AsSpan().SequenceCompareTo(bound.ToBytes()) < 0));
        Assert.All(later, id => Assert.True(id.ToBytes().AsSpan().SequenceCompareTo(bound.ToBytes()) > 0));
        Assert.All(later, id => Assert.True(string.CompareOrdinal(id.ToString(), bound.ToString()) > 0));
    }
}
