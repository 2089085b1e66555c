// The `helpline` command. Everything it does lives in HelplineCLI (commands) and HelplineRouting.
import HelplineCLI

Main.main()
