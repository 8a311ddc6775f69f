using OrleansJobs.Execution;

namespace OrleansJobs.Tests.Unit;

public sealed class WorkerRoomTests
{
    private static readonly QueueKey Flood = new("flood", "job");
    private static readonly QueueKey Quiet = new("quiet", "job");

    /// <summary>The units a wait was granted; it must have been granted already, synchronously.</summary>
    private static int Units(Task<int> wait)
    {
        Assert.True(wait.IsCompletedSuccessfully, "the wait is still pending");
        return wait.Result;
    }

    [Fact]
    public void A_queue_takes_only_what_is_free_and_gives_it_back()
    {
        var room = new WorkerRoom(() => 4);
        var queue = room.Open(Flood);

        Assert.Equal(4, queue.TryTake(10));
        Assert.Equal(0, queue.TryTake(1));
        queue.Give(3);
        Assert.Equal(1, room.InUse);
        Assert.Equal(2, queue.TryTake(2));
    }

    [Fact]
    public void A_waiting_queue_is_granted_a_freed_unit_and_a_newcomer_cannot_jump_the_line()
    {
        var room = new WorkerRoom(() => 2);
        var flood = room.Open(Flood);
        var quiet = room.Open(Quiet);
        Assert.Equal(2, flood.TryTake(64));

        var wait = quiet.WaitAsync(1);
        Assert.False(wait.IsCompleted);

        // The flood finishes an attempt and tries to lease again at once: the quiet queue waited first.
        flood.Give(1);
        Assert.Equal(0, flood.TryTake(1));
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(1, Units(wait));
        Assert.Equal(2, room.InUse);
    }

    [Fact]
    public void Freed_units_go_round_the_waiting_queues_in_turn()
    {
        var room = new WorkerRoom(() => 3);
        var holder = room.Open(new QueueKey("holder", "job"));
        Assert.Equal(3, holder.TryTake(3));
        var a = room.Open(new QueueKey("a", "job"));
        var b = room.Open(new QueueKey("b", "job"));
        var c = room.Open(new QueueKey("c", "job"));
        var waits = new[] { a.WaitAsync(5), b.WaitAsync(5), c.WaitAsync(5) };

        holder.Give(2);
        Assert.Equal([1, 1], waits.Take(2).Select(w => Units(w)));
        Assert.False(waits[2].IsCompleted);

        // A served queue that wants more joins the back of the line, behind the one still waiting.
        var again = a.WaitAsync(4);
        holder.Give(1);
        Assert.Equal(1, Units(waits[2]));
        Assert.False(again.IsCompleted);
    }

    [Fact]
    public void A_tenant_of_weight_three_gets_three_units_a_turn()
    {
        var room = new WorkerRoom(() => 4, new Dictionary<string, double> { ["heavy"] = 3 });
        var holder = room.Open(new QueueKey("holder", "job"));
        Assert.Equal(4, holder.TryTake(4));
        var heavy = room.Open(new QueueKey("heavy", "job")).WaitAsync(10);
        var light = room.Open(new QueueKey("light", "job")).WaitAsync(10);

        holder.Give(4);

        Assert.Equal(3, Units(heavy));
        Assert.Equal(1, Units(light));
    }

    [Fact]
    public void Closing_gives_back_everything_held_and_ends_the_wait()
    {
        var room = new WorkerRoom(() => 2);
        var queue = room.Open(Flood);
        Assert.Equal(2, queue.TryTake(2));
        var wait = queue.WaitAsync(3);
        var other = room.Open(Quiet);
        var otherWait = other.WaitAsync(1);

        queue.Close();

        Assert.Equal(0, Units(wait));
        Assert.Equal(1, Units(otherWait));
        Assert.Equal(1, room.InUse);
        Assert.Equal(0, queue.TryTake(1));

        // A late give from the closed activation (its handler outlived the drain) changes nothing.
        queue.Give(1);
        Assert.Equal(1, room.InUse);
    }

    [Fact]
    public void A_room_that_grew_serves_a_queue_as_it_joins_the_line()
    {
        var capacity = 1;
        var room = new WorkerRoom(() => capacity);
        var flood = room.Open(Flood);
        Assert.Equal(1, flood.TryTake(5));

        // Another silo reported free slots.
        capacity = 3;
        Assert.Equal(2, Units(flood.WaitAsync(4)));
        Assert.Equal(0, room.Waiting);
    }
}
