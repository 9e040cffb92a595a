-- When the "starts soon" and "ends soon" events were recorded for a reservation, so each is recorded once per window
-- (an extension clears the second, so the new end is announced again).
alter table reservations add column starting_soon_at timestamptz, add column ending_soon_at timestamptz;
-- The same for meter sessions: when "ends soon" was recorded (cleared by an extension).
alter table meter_sessions add column expiring_at timestamptz;
