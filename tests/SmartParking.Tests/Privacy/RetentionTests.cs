using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SmartParking.Tests.Infrastructure;
using SmartParking.Tests.Reservations;

namespace SmartParking.Tests.Privacy;

/// <summary>
/// The retention job through its API: each data class past its period is removed or pseudonymised (in batches of two),
/// newer data stays, tenants' own periods apply to them alone, and a failing rule is reported without stopping the rest.
/// </summary>
public sealed class RetentionTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private static string NewPlate() => "RT" + Random.Shared.Next(10_000, 99_999);

    [Fact]
    public async Task Plates_OnStaysFinishedPastTheDefault_PseudonymisedWhileTheStaysAndTheirMoneyStay()
    {
        var (lotId, spaces) = await factory.OpenLotAsync(rate: 12m);
        var plates = Enumerable.Range(0, 3).Select(_ => NewPlate()).ToList();
        var oldSessions = new List<(Guid Id, HttpClient Driver)>();
        foreach (var plate in plates) oldSessions.Add(await factory.StoppedSessionAsync(lotId, plate));
        var (recentSession, recentDriver) = await factory.StoppedSessionAsync(lotId, NewPlate());
        var (_, booker) = await factory.DriverAsync();
        var reservation = await BookingFactory.BookPaidAsync(booker, BookingFactory.Booking(lotId, spaces[0].SpaceId, DateTimeOffset.UtcNow.AddHours(1), TimeSpan.FromHours(1), plates[0]));
        await (await booker.PostAsync($"/api/v1/reservations/{reservation}/cancellation", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
        foreach (var (id, _) in oldSessions) await factory.AgeSessionAsync(id, 91 * Day);
        await factory.ExecuteAsync("update reservations set during = tstzrange(lower(during) - $2, upper(during) - $2) where id = $1", reservation, 91 * Day);
        var before = await oldSessions[0].Driver.GetJsonAsync($"/api/v1/sessions/{oldSessions[0].Id}");
        var paidBefore = await factory.PaidAsync(oldSessions[0].Id);

        var run = await factory.RunRetentionAsync();

        run["plates"].ShouldBe((0, 4, null));
        foreach (var (id, driver) in oldSessions)
        {
            var session = await driver.GetJsonAsync($"/api/v1/sessions/{id}");
            session.Str("plate").ShouldStartWith("ANON-");
            plates.ShouldNotContain(session.Str("plate"));
        }
        var after = await oldSessions[0].Driver.GetJsonAsync($"/api/v1/sessions/{oldSessions[0].Id}");
        foreach (var field in new[] { "status", "startedAt", "stoppedAt", "amount", "currency", "lotId" })
            after.GetProperty(field).ToString().ShouldBe(before.GetProperty(field).ToString(), field);
        (await factory.PaidAsync(oldSessions[0].Id)).ShouldBe(paidBefore);
        var booked = await booker.GetJsonAsync($"/api/v1/reservations/{reservation}");
        booked.Str("plate").ShouldStartWith("ANON-");
        booked.Str("status").ShouldBe("cancelled");
        (await recentDriver.GetJsonAsync($"/api/v1/sessions/{recentSession}")).Str("plate").ShouldStartWith("RT");
        // Pseudonyms are random: the three sessions of different cars do not look like one car.
        (await factory.ColumnAsync("select plate from meter_sessions where id = any($1)", oldSessions.Select(s => s.Id).ToArray())).Distinct().Count().ShouldBe(3);
        (await factory.RunRetentionAsync())["plates"].ShouldBe((0, 0, null));
    }

    [Fact]
    public async Task TenantsOwnPeriod_AppliesToItsDataOnly()
    {
        var (lotA, _) = await factory.OpenLotAsync();
        var (_, operatorB, _) = await factory.NewTenantWithOperatorAsync();
        var lotPayload = Payloads.Lot("Tenant B lot");
        lotPayload["openingHours"] = new JsonArray();
        var lotB = (await operatorB.CreateLotAsync(lotPayload)).Id();
        using var operatorA = factory.OperatorClient();
        await (await operatorA.PutAsJsonAsync("/api/v1/manage/retention/policies/plates", new { period = "30d" })).ShouldHaveStatusAsync(HttpStatusCode.OK);
        var (inA, driverA) = await factory.StoppedSessionAsync(lotA, NewPlate());
        var (inB, driverB) = await factory.StoppedSessionAsync(lotB, NewPlate());
        await factory.AgeSessionAsync(inA, 45 * Day);
        await factory.AgeSessionAsync(inB, 45 * Day);

        var run = await factory.RunRetentionAsync();

        run["plates"].Pseudonymised.ShouldBe(1);
        (await driverA.GetJsonAsync($"/api/v1/sessions/{inA}")).Str("plate").ShouldStartWith("ANON-");
        (await driverB.GetJsonAsync($"/api/v1/sessions/{inB}")).Str("plate").ShouldStartWith("RT");
        await (await operatorA.DeleteAsync("/api/v1/manage/retention/policies/plates")).ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task EveryDeletedClass_RowsPastThePeriodRemovedNewerKept_AndTheFailingRuleReportedAlone()
    {
        var (lotId, _) = await factory.OpenLotAsync();
        // Audit log: this lot's creation, eight years ago; financial records: a payment of eight years ago and its refund.
        var agedAudit = await factory.ScalarAsync<long>("select count(*) from audit_log where entity_id = $1", lotId.ToString());
        await factory.ExecuteAsync("update audit_log set at = at - interval '8 years' where entity_id = $1", lotId.ToString());
        var (session, _) = await factory.StoppedSessionAsync(lotId, NewPlate());
        var payment = await factory.ScalarAsync<Guid>("select id from payments where reference_id = $1", session);
        await factory.ExecuteAsync(
            "insert into refunds (id, payment_id, amount, currency, state, idempotency_key) values (gen_random_uuid(), $1, 1, 'DKK', 'succeeded', 'retention-test')", payment);
        await factory.ExecuteAsync("update payments set created_at = created_at - interval '8 years' where id = $1", payment);
        var (recent, _) = await factory.StoppedSessionAsync(lotId, NewPlate());
        // Idempotency records: a booking retried with a key, two days ago.
        var (driver, client) = await factory.DriverAsync();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sessions") { Content = JsonContent.Create(new { lotId, plate = NewPlate(), durationMinutes = 30 }) })
        {
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            await (await client.SendAsync(request)).ShouldHaveStatusAsync(HttpStatusCode.Created);
        }
        await factory.ExecuteAsync("update idempotent_requests set created_at = created_at - interval '2 days' where user_id = $1", driver.Id);
        // Notification log: a message sent 200 days ago and one today.
        foreach (var age in new[] { 200 * Day, TimeSpan.Zero })
            await factory.ExecuteAsync("""
                insert into notification_messages (id, tenant_id, driver_id, source_event_id, channel, address, kind, language, urgent, marketing, subject, body_text,
                    status, next_attempt_at, queued_at, updated_at)
                values (gen_random_uuid(), $1, $2, gen_random_uuid(), 'email', $3, 'reservation_confirmed', 'en', false, false, 'Retention test', 'Confirmed', 'sent', now(), now() - $4, now())
                """, factory.TenantId, driver.Id, driver.Email, age);
        // Chat transcripts: a hand-over closed 31 days ago, with what was said.
        var handoff = Guid.NewGuid();
        await factory.ExecuteAsync("""
            insert into chat_handoffs (id, channel, sender, tenant_id, language, status, requested_at, last_message_at, closed_at, closed_by)
            values ($1, 'rest', $2, $3, 'en', 'closed', now() - interval '32 days', now() - interval '31 days', now() - interval '31 days', 'operator')
            """, handoff, "retention-" + handoff, factory.TenantId);
        await factory.ExecuteAsync(
            "insert into chat_handoff_messages (handoff_id, at, author, text) values ($1, now() - interval '32 days', 'driver', 'My plate is RT12345')", handoff);
        // Sign-in failures: a wrong password 91 days ago.
        using (var anonymous = factory.Anonymous())
            (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { email = driver.Email, password = "Wrong-Password-1" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await factory.ExecuteAsync("update sign_in_failures set at = at - interval '91 days' where user_id = $1", driver.Id);

        var run = await factory.RunRetentionAsync();

        agedAudit.ShouldBeGreaterThan(0);
        run["audit-log"].ShouldBe((agedAudit, 0, null));
        run["financial-records"].ShouldBe((2, 0, null));
        run["idempotency-records"].ShouldBe((1, 0, null));
        run["notification-log"].ShouldBe((1, 0, null));
        run["sign-in-failures"].ShouldBe((1, 0, null));
        // The chat rule did its work; the failing one beside it is named with its error.
        run["chat-transcripts"].Removed.ShouldBe(1);
        run["chat-transcripts"].Error.ShouldNotBeNull().ShouldContain("the chat archive is unreachable");
        (await factory.ScalarAsync<long>("select count(*) from audit_log where entity_id = $1", lotId.ToString())).ShouldBe(0);
        (await factory.ScalarAsync<long>("select count(*) from payments where id = $1", payment)).ShouldBe(0);
        (await factory.ScalarAsync<long>("select count(*) from payments where reference_id = $1", recent)).ShouldBe(1);
        (await factory.ScalarAsync<long>("select count(*) from chat_handoff_messages where handoff_id = $1", handoff)).ShouldBe(0);
        (await factory.ScalarAsync<long>("select count(*) from notification_messages where driver_id = $1 and subject = 'Retention test'", driver.Id)).ShouldBe(1);
    }

    [Fact]
    public async Task ReadingsPastNinetyDays_TheirDailyPartitionDroppedAndCounted()
    {
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-95);
        var name = "sensor_readings_" + day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        var from = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await factory.ExecuteAsync($"create table if not exists {name} partition of sensor_readings for values from ('{from:yyyy-MM-dd}') to ('{from.AddDays(1):yyyy-MM-dd}')");
        await factory.ExecuteAsync($"""
            insert into {name} (observed_at, received_at, space_id, tenant_id, status, source)
            select $1::timestamptz + make_interval(mins => i), $1::timestamptz, gen_random_uuid(), $2, 1, 1 from generate_series(1, 3) i
            """, new DateTimeOffset(from), factory.TenantId);

        var run = await factory.RunRetentionAsync();

        run["readings"].ShouldBe((3, 0, null));
        (await factory.ScalarAsync<long>("select count(*) from pg_class where relname = $1", name)).ShouldBe(0);
    }

    [Fact]
    public async Task Runs_ListedNewestFirstForAdminsOnly_AndCountedOnMetrics()
    {
        var (lotId, _) = await factory.OpenLotAsync();
        var (session, _) = await factory.StoppedSessionAsync(lotId, NewPlate());
        await factory.AgeSessionAsync(session, 100 * Day);
        using var anonymous = factory.Anonymous();
        var before = Sum(await anonymous.GetStringAsync("/metrics"), "smartparking_retention_pseudonymised_total", "data_class=\"plates\"");

        await factory.RunRetentionAsync();

        using var admin = factory.AdminClient();
        var runs = (await admin.GetJsonAsync("/api/v1/manage/retention/runs?limit=2")).EnumerateArray().ToList();
        runs.Count.ShouldBe(2);
        (runs[0].GetProperty("startedAt").GetDateTimeOffset() >= runs[1].GetProperty("startedAt").GetDateTimeOffset()).ShouldBeTrue();
        runs[0].GetProperty("classes").EnumerateArray().Select(c => c.Str("dataClass")).ShouldBe(
            ["audit-log", "chat-transcripts", "financial-records", "idempotency-records", "inactive-accounts", "notification-log", "plates", "readings", "sign-in-failures"]);
        runs[0].GetProperty("classes").EnumerateArray().Single(c => c.Str("dataClass") == "plates").GetProperty("pseudonymised").GetInt64().ShouldBe(1);
        Sum(await anonymous.GetStringAsync("/metrics"), "smartparking_retention_pseudonymised_total", "data_class=\"plates\"").ShouldBeGreaterThanOrEqualTo(before + 1);
        using var op = factory.OperatorClient();
        (await op.GetAsync("/api/v1/manage/retention/runs")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await op.PostAsync("/api/v1/manage/retention/runs", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await admin.GetAsync("/api/v1/manage/retention/runs?limit=0")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "limit");
    }

    [Fact]
    public async Task SecondRunWhileOneIsGoing_409WithRetryAfter_ThenTheFirstFinishes()
    {
        using var admin = factory.AdminClient();
        factory.Gate.Close();
        try
        {
            var first = admin.PostAsync("/api/v1/manage/retention/runs", null);
            await factory.Gate.Entered.Task.WaitAsync(IngestKit.Eventually);

            var second = await admin.PostAsync("/api/v1/manage/retention/runs", null);

            (await second.ShouldBeProblemAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("in progress");
            second.Headers.RetryAfter.ShouldNotBeNull();
            factory.Gate.Open();
            await (await first).ShouldHaveStatusAsync(HttpStatusCode.OK);
        }
        finally
        {
            factory.Gate.Open();
        }
        await (await admin.PostAsync("/api/v1/manage/retention/runs", null)).ShouldHaveStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Policies_ListDefaultsAndBounds_AndRefuseWhatTheLawOrTheDesignForbids()
    {
        var (_, op, _) = await factory.NewTenantWithOperatorAsync();

        var policies = (await op.GetJsonAsync("/api/v1/manage/retention/policies")).EnumerateArray().ToDictionary(p => p.Str("dataClass"));
        policies["financial-records"].Str("effective").ShouldBe("7y");
        policies["financial-records"].Str("minimum").ShouldBe("7y");
        policies["plates"].Str("effective").ShouldBe("90d");
        policies["plates"].Str("action").ShouldBe("pseudonymise");
        policies["chat-transcripts"].Str("effectiveText").ShouldBe("30 days");
        policies["idempotency-records"].Str("effective").ShouldBe("24h");
        policies["readings"].GetProperty("perTenant").GetBoolean().ShouldBeFalse();

        (await (await op.PutAsJsonAsync("/api/v1/manage/retention/policies/financial-records", new { period = "5y" }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, "period")).GetProperty("errors").GetProperty("period")[0].GetString().ShouldNotBeNull().ShouldContain("at least 7 years");
        await (await op.PutAsJsonAsync("/api/v1/manage/retention/policies/plates", new { period = "ninety days" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "period");
        await (await op.PutAsJsonAsync("/api/v1/manage/retention/policies/plates", new { period = "0d" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "period");
        await (await op.PutAsJsonAsync("/api/v1/manage/retention/policies/plates", new { period = "4y" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "period");
        await (await op.PutAsJsonAsync("/api/v1/manage/retention/policies/plates", new { })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "period");
        await (await op.PutAsJsonAsync("/api/v1/manage/retention/policies/readings", new { period = "30d" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "period");
        (await op.PutAsJsonAsync("/api/v1/manage/retention/policies/no-such-class", new { period = "30d" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var admin = factory.AdminClient();
        await (await admin.PutAsJsonAsync("/api/v1/manage/retention/policies/plates", new { period = "30d" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "tenantId");

        var set = (await (await op.PutAsJsonAsync("/api/v1/manage/retention/policies/financial-records", new { period = "10y" })).ShouldHaveStatusAsync(HttpStatusCode.OK))
            .EnumerateArray().Single(p => p.Str("dataClass") == "financial-records");
        set.Str("effective").ShouldBe("10y");
        set.Str("tenantPeriod").ShouldBe("10y");
        var audit = (await op.GetJsonAsync("/api/v1/manage/audit?entityType=retention_policy&entityId=financial-records")).Items();
        audit.Select(a => a.Str("action")).ShouldBe(["retention.policy_set"]);
        var reset = (await (await op.DeleteAsync("/api/v1/manage/retention/policies/financial-records")).ShouldHaveStatusAsync(HttpStatusCode.OK))
            .EnumerateArray().Single(p => p.Str("dataClass") == "financial-records");
        reset.Str("effective").ShouldBe("7y");
    }

    private static double Sum(string metrics, string name, string label) =>
        metrics.Split('\n').Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
