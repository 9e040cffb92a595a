using SmartParking.Simulator;

return await SimulatorCli.RunAsync(args, Console.Out, Console.Error);
