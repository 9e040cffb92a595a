using Dapper;
using Npgsql;
using SmartParking.Server.Modules.Lots;
using SmartParking.Server.Modules.Payments;
using SmartParking.Server.Modules.Pricing;
using SmartParking.Server.Platform.Events;

namespace SmartParking.Server.Modules.Demo;

/// <summary>
/// Gives a freshly seeded demo city its past days, so the dashboard's charts, tables and summary have something to show
/// on the first run. Each lot's hourly occupancy follows the city curve (some lots busier, some quieter) and is priced
/// hour by hour by the real pricing engine into price_history, which the seasonal forecast then reads; the week's
/// finished meter sessions and reservations are priced by the engine's quote and paid in the sandbox. Seeded money is
/// recognisable: provider references and idempotency keys start with "demo".
/// </summary>
internal static class DemoHistory
{
    private const int Guests = 150;
    // Arrivals an hour per occupied space: a few percent, so a 950-space garage sees ~15 cars an hour at midday.
    private const double SessionsPerOccupiedSpaceHour = 0.015;
    private const double ReservationsPerOccupiedSpaceHour = 0.003;
    private const double RefundedShare = 0.02;

    private sealed record Space(Guid Id, Guid LotId, string Type);

    public sealed record Counts(int PriceRows, int Sessions, int Reservations, int Payments);

    public static async Task<Counts> SeedAsync(EventOutbox outbox, NpgsqlConnection connection, IReadOnlyList<LotFacts> lots, Guid demoDriverId, int days, DateTimeOffset now, CancellationToken ct)
    {
        if (days <= 0 || lots.Count == 0) return new Counts(0, 0, 0, 0);
        var random = new Random(2014); // fixed, so every demo install has the same past
        var policy = PricingPolicy.Default;
        var spaces = (await connection.QueryAsync<Space>(new CommandDefinition(
            "select id, lot_id, type from spaces where lot_id = any(@ids)", new { ids = lots.Select(l => l.Id).ToArray() }, cancellationToken: ct)))
            .GroupBy(s => s.LotId).ToDictionary(g => g.Key, g => g.ToList());

        await using var tx = await connection.BeginTransactionAsync(ct);
        var drivers = await GuestsAsync(connection, tx, ct);
        var prices = new List<PriceStep>();
        var sessions = new List<SessionRow>();
        var reservations = new List<ReservationRow>();
        var end = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour), TimeSpan.Zero);
        foreach (var lot in lots.OrderBy(l => l.Name, StringComparer.Ordinal)) // a fixed order, so the seeded past is the same on every install
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(lot.TimeZone);
            var popularity = 0.7 + random.NextDouble() * 0.55;
            var demand = DemandRates.Both(policy.BaseFor(lot));
            var lotSpaces = spaces.GetValueOrDefault(lot.Id) ?? [];
            var size = lotSpaces.Count;
            var bookable = lotSpaces.Where(s => s.Type == "standard").ToList();
            for (var hour = end.AddDays(-days); hour < end; hour = hour.AddHours(1))
            {
                var occupancy = Math.Clamp(DemoCity.Occupancy(TimeZoneInfo.ConvertTime(hour, zone).DateTime) * popularity + (random.NextDouble() - 0.5) * 0.08, 0, 0.99);
                // As the scheduler does, at one step an hour: only the band the hour falls in moves.
                var peak = PricingEngine.IsPeak(lot, policy, hour);
                var step = PricingEngine.NextDemandRate(lot, policy, demand.For(peak), occupancy);
                var stepped = demand.With(peak, step.Rate);
                var (rateNow, time, surge, _) = PricingEngine.RateAt(lot, policy, [], stepped, hour);
                prices.Add(new PriceStep(lot.TenantId, lot.Id, null, hour, occupancy, null, peak, demand.For(peak), stepped, rateNow, null, step.Rule, time, surge));
                demand = stepped;

                var occupied = size * occupancy;
                for (var n = Arrivals(random, occupied * SessionsPerOccupiedSpaceHour); n > 0; n--)
                {
                    var start = hour.AddMinutes(random.Next(60));
                    var stop = start.AddMinutes(Stay(random));
                    if (stop >= now) continue; // the week's finished stays only; today's live ones come from real use
                    var amount = Price(lot, policy, demand, start, stop);
                    if (amount <= 0) continue;
                    sessions.Add(new SessionRow(Guid.CreateVersion7(start), lot.TenantId, lot.Id, drivers[random.Next(drivers.Count)], Plate(random), start, stop,
                        PricingEngine.RateAt(lot, policy, [], demand, start).Rate, lot.Currency, amount));
                }
                if (bookable.Count == 0) continue;
                for (var n = Arrivals(random, occupied * ReservationsPerOccupiedSpaceHour); n > 0; n--)
                {
                    var start = hour.AddMinutes(15 * random.Next(4));
                    var stop = start.AddMinutes(60 * (1 + random.Next(4)));
                    if (stop >= now) continue;
                    var amount = Price(lot, policy, demand, start, stop);
                    if (amount <= 0) continue;
                    reservations.Add(new ReservationRow(Guid.CreateVersion7(start), lot.TenantId, lot.Id, bookable[random.Next(bookable.Count)].Id,
                        drivers[random.Next(drivers.Count)], Plate(random), start, stop, amount, lot.Currency, start.AddHours(-1 - random.Next(48))));
                }
            }
        }
        // The demo driver's own past: a few stays and bookings to find under My parking, with receipts.
        for (var i = 0; i < 3 && sessions.Count > 0; i++)
        {
            var k = random.Next(sessions.Count);
            sessions[k] = sessions[k] with { DriverId = demoDriverId };
        }
        for (var i = 0; i < 2 && reservations.Count > 0; i++)
        {
            var k = random.Next(reservations.Count);
            reservations[k] = reservations[k] with { DriverId = demoDriverId };
        }

        // The last hour's step leaves each lot's price now, until the scheduler's next step.
        await PriceSteps.WriteAsync(outbox, connection, tx, prices, ct);
        await InsertSessionsAsync(connection, tx, sessions, ct);
        await InsertReservationsAsync(connection, tx, reservations, ct);
        var payments = await InsertPaymentsAsync(connection, tx, sessions, reservations, random, now, ct);
        await tx.CommitAsync(ct);
        return new Counts(prices.Count, sessions.Count, reservations.Count, payments);
    }

    // Poisson arrivals by Knuth's method: small means only, which is what an hour of one lot gives.
    private static int Arrivals(Random random, double mean)
    {
        var (limit, k, p) = (Math.Exp(-mean), 0, 1.0);
        do { k++; p *= random.NextDouble(); } while (p > limit);
        return k - 1;
    }

    // Most stays are short errands; a few are a working day.
    private static int Stay(Random random) => random.NextDouble() switch
    {
        < 0.45 => 15 + random.Next(45),
        < 0.85 => 60 + random.Next(120),
        _ => 180 + random.Next(300),
    };

    private static string Plate(Random random) =>
        $"{(char)('A' + random.Next(26))}{(char)('A' + random.Next(26))}{random.Next(10_000, 100_000)}";

    private static decimal Price(LotFacts lot, PricingPolicy policy, DemandRates demand, DateTimeOffset start, DateTimeOffset stop) =>
        PricingEngine.Segments(lot, policy, [], demand, start, stop).Sum(s => s.Amount);

    /// <summary>Demo drivers who cannot sign in (no password): the people behind the week's stays.</summary>
    private static async Task<List<Guid>> GuestsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        var ids = Enumerable.Range(1, Guests).Select(_ => Guid.CreateVersion7()).ToArray();
        var emails = Enumerable.Range(1, Guests).Select(i => $"guest{i:D3}@drivers.aarhus.demo").ToArray();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into users (id, email, normalized_email, display_name, security_stamp, concurrency_stamp, role)
            select id, email, upper(email), 'Demo guest', gen_random_uuid()::text, gen_random_uuid()::text, 'driver'
            from unnest(@ids, @emails) as t(id, email)
            """, new { ids, emails }, tx, cancellationToken: ct));
        return [.. ids];
    }

    private sealed record SessionRow(Guid Id, Guid TenantId, Guid LotId, Guid DriverId, string Plate, DateTimeOffset Start, DateTimeOffset Stop, decimal Rate, string Currency, decimal Amount);

    private static Task InsertSessionsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<SessionRow> rows, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into meter_sessions (id, tenant_id, lot_id, driver_id, plate, started_at, ends_at, stopped_at, status, rate_per_hour, currency,
                                        max_stay_minutes, amount, charged, created_at, updated_at)
            select id, tenant, lot, driver, plate, start, stop, stop, 'stopped', rate, currency, 600, amount, true, start, stop
            from unnest(@ids, @tenants, @lots, @drivers, @plates, @starts, @stops, @rates, @currencies, @amounts)
                as t(id, tenant, lot, driver, plate, start, stop, rate, currency, amount)
            """, new
        {
            ids = rows.Select(r => r.Id).ToArray(), tenants = rows.Select(r => r.TenantId).ToArray(), lots = rows.Select(r => r.LotId).ToArray(),
            drivers = rows.Select(r => r.DriverId).ToArray(), plates = rows.Select(r => r.Plate).ToArray(), starts = rows.Select(r => r.Start).ToArray(),
            stops = rows.Select(r => r.Stop).ToArray(), rates = rows.Select(r => r.Rate).ToArray(), currencies = rows.Select(r => r.Currency).ToArray(),
            amounts = rows.Select(r => r.Amount).ToArray(),
        }, tx, cancellationToken: ct));

    private sealed record ReservationRow(Guid Id, Guid TenantId, Guid LotId, Guid SpaceId, Guid DriverId, string Plate, DateTimeOffset Start, DateTimeOffset Stop,
        decimal Price, string Currency, DateTimeOffset CreatedAt);

    private static Task InsertReservationsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<ReservationRow> rows, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into reservations (id, tenant_id, lot_id, space_id, driver_id, space_type, plate, during, status, price, currency,
                                      checked_in_at, checked_out_at, created_at, updated_at)
            select id, tenant, lot, space, driver, 'standard', plate, tstzrange(start, stop), 'completed', price, currency,
                   start + interval '4 minutes', stop - interval '6 minutes', created, stop
            from unnest(@ids, @tenants, @lots, @spaces, @drivers, @plates, @starts, @stops, @prices, @currencies, @created)
                as t(id, tenant, lot, space, driver, plate, start, stop, price, currency, created)
            """, new
        {
            ids = rows.Select(r => r.Id).ToArray(), tenants = rows.Select(r => r.TenantId).ToArray(), lots = rows.Select(r => r.LotId).ToArray(),
            spaces = rows.Select(r => r.SpaceId).ToArray(), drivers = rows.Select(r => r.DriverId).ToArray(), plates = rows.Select(r => r.Plate).ToArray(),
            starts = rows.Select(r => r.Start).ToArray(), stops = rows.Select(r => r.Stop).ToArray(), prices = rows.Select(r => r.Price).ToArray(),
            currencies = rows.Select(r => r.Currency).ToArray(), created = rows.Select(r => r.CreatedAt).ToArray(),
        }, tx, cancellationToken: ct));

    /// <summary>One sandbox charge per stay (taken when a session stops, when a reservation is booked), and a few refunds.</summary>
    private static async Task<int> InsertPaymentsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<SessionRow> sessions, List<ReservationRow> reservations,
        Random random, DateTimeOffset now, CancellationToken ct)
    {
        var payments = sessions.Select(s => (Id: Guid.CreateVersion7(s.Stop), s.TenantId, s.DriverId, Purpose: PaymentPurposeText.Of(PaymentPurpose.Session), Reference: s.Id,
                s.Amount, s.Currency, Description: $"Parking, plate {s.Plate}", At: s.Stop))
            .Concat(reservations.Select(r => (Id: Guid.CreateVersion7(r.CreatedAt), r.TenantId, r.DriverId, Purpose: PaymentPurposeText.Of(PaymentPurpose.Reservation), Reference: r.Id,
                Amount: r.Price, r.Currency, Description: $"Reservation, plate {r.Plate}", At: r.CreatedAt)))
            .ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into payments (id, tenant_id, driver_id, purpose, reference_id, amount, currency, description, state, provider, provider_reference,
                                  idempotency_key, created_at, updated_at)
            select id, tenant, driver, purpose, reference, amount, currency, description, 'succeeded', 'sandbox', 'demo_' || id, 'demo-' || id, at, at
            from unnest(@ids, @tenants, @drivers, @purposes, @references, @amounts, @currencies, @descriptions, @at)
                as t(id, tenant, driver, purpose, reference, amount, currency, description, at)
            """, new
        {
            ids = payments.Select(p => p.Id).ToArray(), tenants = payments.Select(p => p.TenantId).ToArray(), drivers = payments.Select(p => p.DriverId).ToArray(),
            purposes = payments.Select(p => p.Purpose).ToArray(), references = payments.Select(p => p.Reference).ToArray(), amounts = payments.Select(p => p.Amount).ToArray(),
            currencies = payments.Select(p => p.Currency).ToArray(), descriptions = payments.Select(p => p.Description).ToArray(), at = payments.Select(p => p.At).ToArray(),
        }, tx, cancellationToken: ct));
        var refunded = payments.Where(p => p.At < now.AddHours(-3) && random.NextDouble() < RefundedShare).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into refunds (id, payment_id, amount, currency, reason, state, provider_reference, idempotency_key, created_at, updated_at)
            select gen_random_uuid(), payment, amount, currency, 'Goodwill refund (demo)', 'succeeded', 'demo_re_' || payment, 'demo-refund-' || payment, at, at
            from unnest(@payments, @amounts, @currencies, @at) as t(payment, amount, currency, at)
            """, new
        {
            payments = refunded.Select(p => p.Id).ToArray(), amounts = refunded.Select(p => p.Amount).ToArray(),
            currencies = refunded.Select(p => p.Currency).ToArray(), at = refunded.Select(p => p.At.AddHours(3)).ToArray(),
        }, tx, cancellationToken: ct));
        return payments.Count;
    }
}
